import { randomBytes } from "node:crypto";
import { Hono } from "hono";
import { z } from "zod";
import { readJsonBody } from "../body.ts";
import type { AppEnv, EmulatorContext } from "../context.ts";
import { ApiError, invalidRequest } from "../errors.ts";
import { injectFaults } from "../faults.ts";
import { limitBody } from "../middleware/limit-body.ts";
import { baseClaims, requestJwt, validAccessToken } from "../middleware/request-jwt.ts";
import { responseToken } from "../response-token.ts";
import { countRequests } from "../stats.ts";
import { newId } from "../store.ts";

/** Claims of an `oauth/authorize` request JWT. */
export const authorizeClaims = baseClaims.extend({
  code_challenge: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, "code_challenge must be base64url(SHA-256(verifier))"),
  code_challenge_method: z.literal("S256"),
  redirect_uri: z.string().min(1),
  response_mode: z.literal("query"),
  response_type: z.literal("code"),
  state: z.string().max(4096).optional(),
  access_token: z.string().min(1).optional(),
});

/**
 * `POST {baseUrl}oauth/authorize`: starts an authorization. Checks the redirect URI against the
 * contract (an import contract's SDK sends its `callback` there) and, for an import contract, that
 * `state` is there; keeps `code_challenge` and `state`, and, when `access_token` names an existing user of
 * this contract, links that user's library. Responds with `{ token, session: { expiry, key } }` whose
 * token carries `preauthorization_code`.
 */
export const authorizeRoutes = (ctx: EmulatorContext) =>
  new Hono<AppEnv>()
    .use(countRequests({ stats: ctx.stats, route: "authorize" }))
    .use(injectFaults({ faults: ctx.faults, stats: ctx.stats, route: "authorize" }))
    .post("/", limitBody(), requestJwt({ ctx, schema: authorizeClaims }), async (c) => {
      const { contract, payload } = c.var.request;
      // From the SDK's version 10 (the import contracts' SDKs), `state` is required.
      if (contract.writeApi === "import" && !payload.state) {
        throw invalidRequest("state is required for an import contract");
      }
      if (payload.redirect_uri !== contract.redirectUri) {
        throw new ApiError(
          400,
          "InvalidRedirectUri",
          `The redirect_uri (${payload.redirect_uri}) is invalid`,
        );
      }
      const body = await readJsonBody(c);
      if (body !== undefined && (typeof body !== "object" || body === null || Array.isArray(body))) {
        throw invalidRequest("The body must be a JSON object ({ agent, actions })");
      }
      let userId: string | null = null;
      if (payload.access_token) {
        userId = validAccessToken(ctx, contract, payload.access_token).userId;
      }
      const now = ctx.now();
      const preauthorization = ctx.store.createPreauthorization({
        code: newId("pre_", 24),
        clientId: contract.clientId,
        redirectUri: payload.redirect_uri,
        codeChallenge: payload.code_challenge,
        state: payload.state ?? null,
        userId,
        sessionKey: randomBytes(16).toString("hex"),
        expiresAt: now + ctx.settings.preauthorizationTtlMs,
        createdAt: now,
      });
      ctx.stats.current.authorizations++;
      return c.json({
        token: responseToken(ctx, c.req.url, { preauthorization_code: preauthorization.code }),
        session: { expiry: preauthorization.expiresAt, key: preauthorization.sessionKey },
      });
    });
