import { createHash, timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv, EmulatorContext } from "../context.ts";
import { ApiError } from "../errors.ts";
import { injectFaults } from "../faults.ts";
import { limitBody } from "../middleware/limit-body.ts";
import { baseClaims, requestJwt } from "../middleware/request-jwt.ts";
import { responseToken } from "../response-token.ts";
import { countRequests } from "../stats.ts";
import type { Contract } from "../store.ts";

/** Claims of an `oauth/token` request JWT, one shape per grant. */
export const tokenClaims = z.discriminatedUnion("grant_type", [
  baseClaims.extend({
    grant_type: z.literal("authorization_code"),
    code: z.string().min(1),
    code_verifier: z
      .string()
      .regex(/^[A-Za-z0-9._~-]{43,128}$/, "code_verifier must be 43-128 unreserved characters"),
  }),
  baseClaims.extend({ grant_type: z.literal("refresh_token"), refresh_token: z.string().min(1) }),
]);

const badCode = (why: string) =>
  new ApiError(400, "InvalidAuthorizationCode", `The authorization code ${why}`);
const badRefresh = (why: string) => new ApiError(401, "InvalidToken", `The token (refresh_token) ${why}`);

const s256 = (verifier: string) => createHash("sha256").update(verifier).digest();

/** The id of a user's consent to a contract: stable, so every token of that consent names it. */
const consentIdOf = (userId: string, clientId: string) =>
  `consent_${createHash("sha256").update(`${userId}\n${clientId}`).digest("base64url").slice(0, 22)}`;

/**
 * `POST {baseUrl}oauth/token`: the `authorization_code` grant (one-time, expiring codes; PKCE S256)
 * and the `refresh_token` grant (rotation: a refresh token works once, and its pair's access token
 * stops working). Responds with `{ token }` whose payload has `access_token`, `refresh_token` (each
 * `{ value, expires_on }`), `sub` (the user id) and, for an import contract, `consentid`.
 */
export const tokenRoutes = (ctx: EmulatorContext) => {
  const issue = (url: string, contract: Contract, userId: string) => {
    const { access, refresh } = ctx.store.issueTokens({
      clientId: contract.clientId,
      userId,
      now: ctx.now(),
      accessTtlMs: ctx.settings.accessTokenTtlMs,
      refreshTtlMs: ctx.settings.refreshTokenTtlMs,
      values: { access: ctx.newId("accessToken"), refresh: ctx.newId("refreshToken") },
    });
    return responseToken(ctx, url, {
      access_token: { value: access.value, expires_on: access.expiresAt },
      refresh_token: { value: refresh.value, expires_on: refresh.expiresAt },
      sub: userId,
      // digi.me's answers for import contracts name the consent too (the SDK keeps it, v10 on).
      ...(contract.writeApi === "import" && { consentid: consentIdOf(userId, contract.clientId) }),
    });
  };

  return new Hono<AppEnv>()
    .use(countRequests({ stats: ctx.stats, route: "token" }))
    .use(injectFaults({ faults: ctx.faults, stats: ctx.stats, route: "token" }))
    .post("/", limitBody(), requestJwt({ ctx, schema: tokenClaims }), (c) => {
      const { contract, payload } = c.var.request;
      const now = ctx.now();
      if (payload.grant_type === "authorization_code") {
        const code = ctx.store.getAuthorizationCode(payload.code);
        if (!code || code.clientId !== contract.clientId) throw badCode("is invalid");
        // Any redemption attempt, good or bad, uses the code up.
        if (!ctx.store.useAuthorizationCode(code.code, now)) throw badCode("has already been used");
        if (code.expiresAt <= now) throw badCode("has expired");
        if (!timingSafeEqual(s256(payload.code_verifier), Buffer.from(code.codeChallenge, "base64url"))) {
          throw new ApiError(
            400,
            "InvalidCodeVerifier",
            "The code_verifier does not match the code_challenge",
          );
        }
        const token = issue(c.req.url, contract, code.userId);
        ctx.stats.current.codeExchanges++;
        return c.json({ token });
      }
      const token = ctx.store.transaction(() => {
        const refresh = ctx.store.getToken(payload.refresh_token);
        if (refresh?.kind !== "refresh" || refresh.clientId !== contract.clientId) {
          throw badRefresh("is invalid");
        }
        if (refresh.revokedAt !== null) throw badRefresh("has been revoked");
        if (refresh.usedAt !== null) throw badRefresh("has already been used");
        if (refresh.expiresAt <= now) throw badRefresh("has expired");
        if (!ctx.store.useRefreshToken(refresh, now)) throw badRefresh("has already been used");
        return issue(c.req.url, contract, refresh.userId);
      });
      ctx.stats.current.refreshes++;
      return c.json({ token });
    });
};
