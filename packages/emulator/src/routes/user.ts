import { Hono } from "hono";
import type { AppEnv, EmulatorContext } from "../context.ts";
import { validationErrors } from "../errors.ts";
import { injectFaults } from "../faults.ts";
import { limitBody } from "../middleware/limit-body.ts";
import { liveAccessToken, requestJwt, userClaims } from "../middleware/request-jwt.ts";
import { countRequests } from "../stats.ts";
import { deleteUser } from "../user-deletion.ts";

/**
 * `DELETE {baseUrl}user`: deletes the token's user (library, tokens of every contract, postboxes,
 * accounts) and responds with `204` and no body; every token of that user then gets `401
 * InvalidToken`. 406 `ValidationErrors` for a missing or malformed request JWT; 401 `InvalidToken`
 * for an unknown, revoked or expired access token.
 */
export const userRoutes = (ctx: EmulatorContext) =>
  new Hono<AppEnv>()
    .use(countRequests({ stats: ctx.stats, route: "user" }))
    .use(injectFaults({ faults: ctx.faults, stats: ctx.stats, route: "user" }))
    .delete(
      "/",
      limitBody(),
      requestJwt({ ctx, schema: userClaims, malformed: validationErrors }),
      async (c) => {
        const { contract, payload } = c.var.request;
        const token = liveAccessToken(ctx, contract, payload.access_token);
        await deleteUser(ctx.store, token.userId);
        ctx.stats.current.userDeletions++;
        return c.body(null, 204);
      },
    );
