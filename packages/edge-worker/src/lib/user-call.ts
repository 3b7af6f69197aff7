/**
 * A digi.me call with the signed-in user's token that carries no file (`GET /api/accounts`,
 * `DELETE /api/user`): admitted by the user's vault (rate budget, a token fresh now, refreshed
 * single-flight), with sdk-core's `refresh` hook asking the vault again, as uploads do. Only the
 * access token reaches the isolate.
 */
import type { UserAccessToken } from "@digime-edge/sdk-core";
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { failureToError } from "./digime.ts";
import { vaultFor } from "./session.ts";
import { tokenForWrite } from "./upload.ts";

/** What a call gets: the user's token (access token only) and the vault's `refresh` hook. */
export interface UserToken {
  /** The fresh access token, with the stand-in refresh token (see `REFRESH_TOKEN_STAND_IN`). */
  token: UserAccessToken;
  /** sdk-core's `refresh` option: the vault refreshes (single-flight) and returns the new access token. */
  refresh: (stale: UserAccessToken) => Promise<UserAccessToken>;
}

/**
 * Admits one call for the signed-in user and runs it.
 *
 * @param c - The request context (after `withConfig` and `requireSession`).
 * @param call - The sdk-core call.
 * @throws ApiError 401 (`UNAUTHENTICATED`, `SESSION_EXPIRED`), 429 `RATE_LIMITED`, or a digi.me
 *   failure of the refresh.
 */
export async function withUserToken<T>(
  c: Context<AppEnv>,
  call: (user: UserToken) => Promise<T>,
): Promise<T> {
  const vault = vaultFor(c.env, c.get("userId"));
  const admitted = await vault.acquireCall({ ratePerMinute: c.get("config").rateLimitPerMinute });
  if (!admitted.ok) throw failureToError(admitted);
  return call({
    token: tokenForWrite(admitted.accessToken),
    refresh: async (stale) => {
      const refreshed = await vault.refresh(stale.accessToken.value);
      if (!refreshed.ok) throw failureToError(refreshed);
      return tokenForWrite(refreshed.accessToken);
    },
  });
}
