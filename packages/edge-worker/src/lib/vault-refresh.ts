/**
 * The vault's refreshes: single-flight, so that concurrent callers share one refresh, and the
 * rotated pair is stored before anyone uses it, so a crash cannot lose the user's access.
 */
import type { TokenValue, UserAccessToken } from "@digime-edge/sdk-core";
import { ConfigError, getConfig } from "../config.ts";
import { type ApiFailure, contractDetails, describeDigiMeFailure, getSdk } from "./digime.ts";
import {
  FRESHNESS_MARGIN_MS,
  NO_SESSION,
  readTokens,
  SESSION_EXPIRED,
  storeTokens,
  type TokenRow,
  toToken,
  type VaultResult,
} from "./vault-tokens.ts";

/** One vault's refresher: at most one refresh in flight. */
export class TokenRefresher {
  readonly #sql: SqlStorage;
  readonly #env: Env;
  #refreshing: Promise<VaultResult<{ token: UserAccessToken }>> | undefined;

  /**
   * @param sql - The vault's SQLite storage (its token row).
   * @param env - The Worker's bindings (the settings, for refreshes).
   */
  constructor(sql: SqlStorage, env: Env) {
    this.#sql = sql;
    this.#env = env;
  }

  /** Forgets the refresh in flight (the vault is being cleared). */
  reset(): void {
    this.#refreshing = undefined;
  }

  /**
   * The row's access token, refreshed (single-flight) first when it is close to its expiry.
   *
   * @param row - The session's row.
   */
  async freshAccess(row: TokenRow): Promise<VaultResult<{ accessToken: TokenValue }>> {
    const token = toToken(row);
    if (token.accessToken.expiry - FRESHNESS_MARGIN_MS > Date.now()) {
      return { ok: true, accessToken: token.accessToken };
    }
    const refreshed = await this.fresh(token.accessToken.value);
    return refreshed.ok ? { ok: true, accessToken: refreshed.token.accessToken } : refreshed;
  }

  /**
   * A token pair newer than `staleAccessToken`: the stored one when another caller already
   * refreshed, the result of the refresh in flight, or of a new refresh (single-flight). The
   * rotated pair is stored before it is returned. A failed refresh leaves the stored pair as it was.
   *
   * @param staleAccessToken - The access token value the caller found stale.
   */
  async fresh(staleAccessToken: string): Promise<VaultResult<{ token: UserAccessToken }>> {
    const row = readTokens(this.#sql);
    if (!row) return { ok: false, ...NO_SESSION };
    if (row.access_token !== staleAccessToken && row.access_expiry - FRESHNESS_MARGIN_MS > Date.now()) {
      return { ok: true, token: toToken(row) };
    }
    this.#refreshing ??= this.#refresh(toToken(row)).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(current: UserAccessToken): Promise<VaultResult<{ token: UserAccessToken }>> {
    if (current.refreshToken.expiry <= Date.now()) return { ok: false, ...SESSION_EXPIRED };
    try {
      const config = getConfig(this.#env);
      const token = await getSdk(config).refreshToken({
        contractDetails: contractDetails(config),
        userAccessToken: current,
      });
      storeTokens(this.#sql, token);
      return { ok: true, token };
    } catch (error) {
      return { ok: false, ...callFailure("refresh_failed", error) };
    }
  }
}

/**
 * A failed digi.me call of the vault as its answer, logged by code only (never a message).
 *
 * @param event - The log event's name.
 * @param error - What the call threw.
 */
export function callFailure(event: string, error: unknown): ApiFailure {
  if (error instanceof ConfigError) return { status: 500, code: "CONFIG_INVALID", message: error.message };
  const failure = describeDigiMeFailure(error);
  console.error(JSON.stringify({ event, code: failure.code, upstream: failure.upstream }));
  return failure;
}
