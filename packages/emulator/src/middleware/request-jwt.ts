import { createPublicKey, type KeyObject } from "node:crypto";
import type { HttpBindings } from "@hono/node-server";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import type { EmulatorContext, VerifiedRequest } from "../context.ts";
import { ApiError, invalidRequest } from "../errors.ts";
import { decodePs512, verifyPs512 } from "../jwt.ts";
import type { Contract, TokenRecord } from "../store.ts";

/** Claims every request JWT carries. */
export const baseClaims = z.object({
  client_id: z.string().min(1),
  nonce: z.string().regex(/^[A-Za-z0-9]{32}$/, "nonce must be 32 characters from [A-Za-z0-9]"),
  timestamp: z.number().int().nonnegative(),
});

/** A readable one-line account of a schema failure. */
export const describeIssues = (error: z.ZodError): string =>
  error.issues.map((i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`).join("; ");

/**
 * The access token a request JWT's `access_token` claim names: an access token of this contract,
 * not revoked (else 401 `InvalidToken`). Its expiry and user are the caller's to check.
 */
export const validAccessToken = (ctx: EmulatorContext, contract: Contract, value: string): TokenRecord => {
  const token = ctx.store.getToken(value);
  if (token?.kind !== "access" || token.clientId !== contract.clientId || token.revokedAt !== null) {
    throw new ApiError(401, "InvalidToken", "The token (access_token) is invalid");
  }
  return token;
};

/**
 * {@link validAccessToken}, and not expired: the routes of the import API respond to an expired token with
 * `401 InvalidToken` (there is no `pending` there), as they do an unknown or revoked one.
 */
export const liveAccessToken = (ctx: EmulatorContext, contract: Contract, value: string): TokenRecord => {
  const token = validAccessToken(ctx, contract, value);
  if (token.expiresAt <= ctx.now()) {
    throw new ApiError(401, "InvalidToken", "The token (access_token) is expired");
  }
  return token;
};

/** Claims of a request JWT that acts for a user: the base claims and `access_token`. */
export const userClaims = baseClaims.extend({ access_token: z.string().min(1) });

const keyCache = new Map<string, KeyObject>();
/** A contract's public key (PEM) as a KeyObject, parsed once. */
export const publicKeyOf = (pem: string): KeyObject => {
  let key = keyCache.get(pem);
  if (!key) {
    key = createPublicKey(pem);
    keyCache.set(pem, key);
  }
  return key;
};

/**
 * Middleware factory: checks the request JWT in `Authorization: Bearer` as digi.me does, in this
 * order, and sets `c.var.request` to `{ contract, payload }`:
 * 1. a compact JWS with header `alg: "PS512"` (else 400 `InvalidRequest`, or what `malformed` makes);
 * 2. `client_id` names a registered contract (else 403 `InvalidClient`);
 * 3. the signature verifies with the contract's public key, RSA-PSS SHA-512 salt 64 (else 401 `InvalidSignature`);
 * 4. `nonce` is 32 characters from [A-Za-z0-9] and `timestamp` a number of ms (else as 1);
 * 5. `timestamp` is within the window of the emulator's clock (else 401 `InvalidTimestamp`);
 * 6. the route's own claims match `schema` (else as 1);
 * 7. the nonce was not used by this contract within the window (else 401 `ReplayedNonce`).
 * A nonce is recorded only once all the checks before it passed.
 */
export const requestJwt = <S extends z.ZodType>({
  ctx,
  schema,
  malformed = invalidRequest,
}: {
  ctx: EmulatorContext;
  schema: S;
  /** The refusal of a missing or malformed JWT (default 400 `InvalidRequest`). */
  malformed?: (message: string, cause?: unknown) => ApiError;
}) =>
  createMiddleware<{
    Bindings: Partial<HttpBindings>;
    Variables: { request: VerifiedRequest<z.infer<S>> };
  }>(async (c, next) => {
    const match = /^Bearer +([^\s]+)$/i.exec(c.req.header("authorization") ?? "");
    if (!match?.[1]) throw malformed("Authorization: Bearer <jwt> is missing");
    const jwt = decodePs512(match[1], "Authorization", malformed);
    const clientId = jwt.payload.client_id;
    if (typeof clientId !== "string" || clientId === "") throw malformed("client_id is missing");
    const contract = ctx.store.getContract(clientId);
    if (!contract) throw new ApiError(403, "InvalidClient", `The client_id (${clientId}) is invalid`);
    if (!verifyPs512(jwt, publicKeyOf(contract.publicKey))) {
      throw new ApiError(
        401,
        "InvalidSignature",
        "The request JWT does not verify with the contract's public key",
      );
    }
    const base = baseClaims.safeParse(jwt.payload);
    if (!base.success) throw malformed(describeIssues(base.error));
    const now = ctx.now();
    const window = ctx.settings.timestampWindowMs;
    const skew = now - base.data.timestamp;
    if (Math.abs(skew) > window) {
      throw new ApiError(
        401,
        "InvalidTimestamp",
        `The request timestamp is ${Math.abs(skew)} ms ${skew > 0 ? "old" : "ahead"}; the window is ±${window} ms`,
      );
    }
    const claims = schema.safeParse(jwt.payload);
    if (!claims.success) throw malformed(describeIssues(claims.error));
    if (!ctx.store.recordNonce(clientId, base.data.nonce, base.data.timestamp + window, now)) {
      throw new ApiError(401, "ReplayedNonce", `The nonce (${base.data.nonce}) was already used`);
    }
    c.set("request", { contract, payload: claims.data });
    await next();
  });
