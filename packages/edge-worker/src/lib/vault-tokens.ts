/**
 * The vault's token custody: the one row that holds the user's token pair and where to write, read
 * and written only here and by `vault.ts`.
 */
import { postboxKeyModulusBytes, type TokenValue, type UserAccessToken } from "@digime-edge/sdk-core";
import type { WriteApi } from "../config.ts";
import type { ApiFailure } from "./digime.ts";

/** Result of a vault operation: the value, or a failure to respond with. */
export type VaultResult<T> = ({ ok: true } & T) | ({ ok: false } & ApiFailure);

/** An access token closer than this to its expiry is refreshed before a write. */
export const FRESHNESS_MARGIN_MS = 60_000;

/** What `GET /api/session` may tell about a user: public information only. */
export interface VaultSession {
  /** The vault holds a token pair. */
  authenticated: boolean;
  /**
   * It also holds what the write API in use needs (postbox credentials, or an import contract's
   * account reference) and a refresh token that has not expired.
   */
  canWrite: boolean;
  /** The postbox's public key (PEM): public information, used by sealed uploads. */
  publicKey?: string;
}

/** What a write needs: an access token that is fresh now, and where to write. */
export interface WriteGrant {
  /**
   * An access token valid for at least {@link FRESHNESS_MARGIN_MS}. Only the access token: the
   * refresh token never leaves the vault, which refreshes by itself (`UserVault.refresh`).
   */
  accessToken: TokenValue;
  /** The user's postbox (postbox write API). */
  postboxId?: string;
  /** The postbox's public key (PEM) (postbox write API). */
  publicKey?: string;
  /** The account the sign-in named (import write API). */
  accountReference?: string;
  /** The upload slot this write holds: renew it while the upload runs, release it at its end. */
  leaseId: string;
}

/** The `tokens` table's one row (id 1): one sign-in's session. */
export interface TokenRow {
  /** The access token's value. */
  access_token: string;
  /** When the access token expires (ms since the epoch). */
  access_expiry: number;
  /** The refresh token's value: it never leaves the vault. */
  refresh_token: string;
  /** When the refresh token expires (ms since the epoch). */
  refresh_expiry: number;
  /** The user's postbox (postbox write API). */
  postbox_id: string | null;
  /** The postbox's public key (PEM). */
  public_key: string | null;
  /** The account the sign-in named (import write API). */
  account_reference: string | null;
  /** When the session was last used (ms since the epoch). */
  last_seen_at: number;
  [key: string]: SqlStorageValue;
}

/** What an authorization gave: the token pair and where to write. */
export interface Authorization {
  /** The token pair. */
  token: UserAccessToken;
  /** The user's postbox (postbox contract). */
  postboxId?: string | undefined;
  /** The postbox's public key (PEM) (postbox contract). */
  publicKey?: string | undefined;
  /** The account the sign-in named (import contract). */
  accountReference?: string | undefined;
}

/** The answer when the vault holds no session. */
export const NO_SESSION: ApiFailure = { status: 401, code: "UNAUTHENTICATED", message: "sign in first" };

/** The answer when the refresh token has expired. */
export const SESSION_EXPIRED: ApiFailure = {
  status: 401,
  code: "SESSION_EXPIRED",
  message: "the sign-in has expired; sign in again",
};

/**
 * The stored session's row, if any.
 *
 * @param sql - The vault's SQLite storage.
 */
export function readTokens(sql: SqlStorage): TokenRow | undefined {
  return sql.exec<TokenRow>("SELECT * FROM tokens WHERE id = 1").toArray()[0];
}

/**
 * Stores a rotated token pair over the session's.
 *
 * @param sql - The vault's SQLite storage.
 * @param token - The new pair.
 */
export function storeTokens(sql: SqlStorage, token: UserAccessToken): void {
  sql.exec(
    `UPDATE tokens SET access_token = ?, access_expiry = ?, refresh_token = ?, refresh_expiry = ?,
     updated_at = ? WHERE id = 1`,
    token.accessToken.value,
    token.accessToken.expiry,
    token.refreshToken.value,
    token.refreshToken.expiry,
    Date.now(),
  );
}

/**
 * Stores what an authorization gave as the session, used at `now`.
 *
 * @param sql - The vault's SQLite storage.
 * @param input - The token pair, postbox credentials or account reference.
 * @param now - The time of the sign-in (ms since the epoch).
 */
export function storeAuthorization(sql: SqlStorage, input: Authorization, now: number): void {
  const { token } = input;
  // Only this sign-in's postbox: the vault is fresh (claimed), nothing earlier is kept.
  sql.exec(
    `INSERT OR REPLACE INTO tokens (id, access_token, access_expiry, refresh_token, refresh_expiry,
     postbox_id, public_key, account_reference, updated_at, last_seen_at)
     VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    token.accessToken.value,
    token.accessToken.expiry,
    token.refreshToken.value,
    token.refreshToken.expiry,
    input.postboxId ?? null,
    input.publicKey ?? null,
    input.accountReference ?? null,
    now,
    now,
  );
}

/**
 * The row's token pair, as sdk-core takes it.
 *
 * @param row - The session's row.
 */
export function toToken(row: TokenRow): UserAccessToken {
  return {
    accessToken: { value: row.access_token, expiry: row.access_expiry },
    refreshToken: { value: row.refresh_token, expiry: row.refresh_expiry },
  };
}

/**
 * Whether a session holds what the write API needs: a postbox, or an import account reference.
 *
 * @param row - The session's row.
 * @param writeApi - The write API in use.
 */
export function writesWith(row: TokenRow, writeApi: WriteApi): boolean {
  return writeApi === "import" ? Boolean(row.account_reference) : Boolean(row.postbox_id && row.public_key);
}

const moduli = new Map<string, number>();

/**
 * The modulus size of a stored postbox key (0 for a key that does not parse: nothing matches it).
 *
 * @param publicKey - The postbox key (PEM).
 */
export function modulusBytes(publicKey: string): number {
  let bytes = moduli.get(publicKey);
  if (bytes === undefined) {
    try {
      bytes = postboxKeyModulusBytes(publicKey);
    } catch {
      bytes = 0;
    }
    if (moduli.size >= 64) moduli.clear();
    moduli.set(publicKey, bytes);
  }
  return bytes;
}
