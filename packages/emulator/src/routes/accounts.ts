import { Hono } from "hono";
import { accountJson } from "../accounts.ts";
import type { AppEnv, EmulatorContext } from "../context.ts";
import { validationErrors } from "../errors.ts";
import { injectFaults } from "../faults.ts";
import { limitBody } from "../middleware/limit-body.ts";
import { liveAccessToken, requestJwt, userClaims } from "../middleware/request-jwt.ts";
import { countRequests } from "../stats.ts";

/**
 * `GET {baseUrl}permission-access/accounts`: the user's accounts through this contract, a JSON
 * array of `AccountJson` (every member the spec lists). 406 `ValidationErrors` for a missing or
 * malformed request JWT; 401 `InvalidToken` for an unknown, revoked or expired access token.
 */
export const accountsRoutes = (ctx: EmulatorContext) =>
  new Hono<AppEnv>()
    .use(countRequests({ stats: ctx.stats, route: "accounts" }))
    .use(injectFaults({ faults: ctx.faults, stats: ctx.stats, route: "accounts" }))
    .get("/", limitBody(), requestJwt({ ctx, schema: userClaims, malformed: validationErrors }), (c) => {
      const { contract, payload } = c.var.request;
      const token = liveAccessToken(ctx, contract, payload.access_token);
      return c.json(ctx.accounts.list(token.userId, contract.clientId).map(accountJson));
    });
