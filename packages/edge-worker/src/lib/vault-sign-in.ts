/**
 * A sign-in's two steps in the user's vault: claiming the fresh vault for it, then exchanging its
 * authorization code with digi.me there, so that the tokens never pass through the isolate.
 */
import type { UserAccessToken } from "@digime-edge/sdk-core";
import type { Config } from "../config.ts";
import { AUTH_TTL_MS } from "./auth-window.ts";
import { contractDetails, getSdk } from "./digime.ts";
import { callFailure } from "./vault-refresh.ts";
import { type Authorization, readTokens, storeAuthorization, type VaultResult } from "./vault-tokens.ts";

/** What a sign-in hands its vault: the code and its PKCE verifier, and what the redirect carried. */
export type SignInCompletion = { code: string; codeVerifier: string } & Omit<Authorization, "token">;

/**
 * Claims a fresh vault for the sign-in whose session id names it: only once, and only while it
 * holds nothing. The alarm deletes a claim whose sign-in never stores tokens.
 *
 * @param storage - The vault's storage.
 * @returns Whether the claim was taken.
 */
export async function claimSignIn(storage: DurableObjectStorage): Promise<boolean> {
  const sql = storage.sql;
  const taken = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sign_in").one().n > 0;
  if (taken || readTokens(sql)) return false;
  const now = Date.now();
  sql.exec("INSERT INTO sign_in (id, claimed_at) VALUES (1, ?)", now);
  await storage.setAlarm(now + AUTH_TTL_MS);
  return true;
}

/**
 * Exchanges the authorization code with digi.me and stores what it gave as the session; the alarm
 * comes back when the session would go idle.
 *
 * @param storage - The vault's storage.
 * @param config - The Worker's settings (the contract, the idle timeout).
 * @param input - The code, its verifier, and the postbox credentials or account reference.
 * @returns When the refresh token expires (the session cookie lasts no longer), or the failure.
 */
export async function completeSignIn(
  storage: DurableObjectStorage,
  config: Config,
  input: SignInCompletion,
): Promise<VaultResult<{ refreshExpiry: number }>> {
  let token: UserAccessToken;
  try {
    token = await getSdk(config).exchangeCodeForToken({
      contractDetails: contractDetails(config),
      authorizationCode: input.code,
      codeVerifier: input.codeVerifier,
    });
  } catch (error) {
    return { ok: false, ...callFailure("exchange_failed", error) };
  }
  const { postboxId, publicKey, accountReference } = input;
  const now = Date.now();
  storeAuthorization(storage.sql, { token, postboxId, publicKey, accountReference }, now);
  await storage.setAlarm(now + config.sessionIdleTimeoutMs);
  return { ok: true, refreshExpiry: token.refreshToken.expiry };
}
