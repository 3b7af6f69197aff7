/**
 * Admission of one write through the user's vault: an upload slot, the rate budget and a fresh
 * access token, handed to sdk-core with a stand-in for the refresh token the vault keeps.
 */
import type { TokenValue, UserAccessToken } from "@digime-edge/sdk-core";
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { failureToError } from "./digime.ts";
import { vaultFor } from "./session.ts";
import { LEASE_RENEW_MS } from "./upload-leases.ts";
import type { WriteGrant } from "./vault-tokens.ts";

/**
 * What the isolate hands sdk-core as the user's refresh token: a stand-in, never the real one, which
 * stays in the user's vault. sdk-core's `UserAccessToken` needs one; every upload passes the
 * `refresh` hook (`UploadRun.refresher` in `lib/upload-run.ts`), so sdk-core asks the vault and never sends this.
 */
export const REFRESH_TOKEN_STAND_IN = "kept-in-the-user-vault";

/**
 * sdk-core's token for a write: the vault's access token, and the stand-in refresh token.
 *
 * @param accessToken - The vault's fresh access token.
 */
export function tokenForWrite(accessToken: TokenValue): UserAccessToken {
  return { accessToken, refreshToken: { value: REFRESH_TOKEN_STAND_IN, expiry: accessToken.expiry } };
}

/** An admitted write: its grant, and the user's upload slot, held until {@link AdmittedWrite.release}. */
export interface AdmittedWrite extends Omit<WriteGrant, "leaseId" | "accessToken"> {
  /** For sdk-core: the fresh access token, and no refresh token (see {@link REFRESH_TOKEN_STAND_IN}). */
  token: UserAccessToken;
  /** Gives the upload slot back; call it at every end of the upload (idempotent, never throws). */
  release(): Promise<void>;
}

/**
 * Admits one write for the signed-in user: takes one of the user's upload slots
 * (`MAX_CONCURRENT_UPLOADS`) and from the rate budget, and returns a token that is fresh now
 * (refreshed single-flight in the vault) with the postbox credentials. The slot is renewed while
 * the upload runs; the caller releases it in a `finally`. Should this invocation be cut off before
 * it can, the slot lapses within a minute (see `lib/upload-leases.ts`).
 *
 * @param c - The request context (after `withConfig` and `requireSession`).
 * @param wrappedKeyBytes - For a sealed upload: the wrapped key's size, checked against the postbox
 *   key before anything else is spent (400 `BAD_SYMMETRICAL_KEY`).
 * @throws ApiError 401, 403, 400, 429 or a digi.me failure of the refresh.
 */
export async function admitWrite(c: Context<AppEnv>, wrappedKeyBytes?: number): Promise<AdmittedWrite> {
  const config = c.get("config");
  const vault = vaultFor(c.env, c.get("userId"));
  const grant = await vault.acquireWrite({
    ratePerMinute: config.rateLimitPerMinute,
    maxConcurrent: config.maxConcurrentUploads,
    ...(wrappedKeyBytes === undefined ? {} : { wrappedKeyBytes }),
  });
  if (!grant.ok) throw failureToError(grant);
  const { leaseId } = grant;
  const renewal = setInterval(() => {
    vault.renewWrite(leaseId).catch(() => {});
  }, LEASE_RENEW_MS);
  let released: Promise<void> | undefined;
  return {
    token: tokenForWrite(grant.accessToken),
    postboxId: grant.postboxId,
    publicKey: grant.publicKey,
    accountReference: grant.accountReference,
    release: () => {
      clearInterval(renewal);
      released ??= vault.releaseWrite(leaseId).catch(() => {});
      return released;
    },
  };
}

/**
 * The postbox of an admitted write, for the postbox sinks (the vault admits a postbox write only
 * with one, so this never throws there).
 *
 * @param grant - The admitted write.
 * @throws ApiError 403 `CANNOT_WRITE` when the grant has no postbox.
 */
export function postboxOf(grant: AdmittedWrite): { postboxId: string; publicKey: string } {
  const { postboxId, publicKey } = grant;
  if (!postboxId || !publicKey)
    throw new ApiError(403, "CANNOT_WRITE", "this sign-in gave no postbox to write to");
  return { postboxId, publicKey };
}
