import type { SQLInputValue } from "node:sqlite";
import { equalities, newId, num, numOrNull, type Row, type Sql, str } from "./sql.ts";

/** An access or refresh token. Tokens of one exchange or refresh share a `pairId`. */
export interface TokenRecord {
  value: string;
  kind: "access" | "refresh";
  pairId: string;
  clientId: string;
  userId: string;
  expiresAt: number;
  /** For a refresh token: when it was exchanged (rotation makes it single-use). */
  usedAt: number | null;
  revokedAt: number | null;
  createdAt: number;
}

/** Which tokens an admin operation applies to; no field means all tokens. */
export interface TokenFilter {
  userId?: string;
  postboxId?: string;
  clientId?: string;
  value?: string;
}

/** What {@link TokenStore.issue} needs. */
export interface IssueTokensOptions {
  clientId: string;
  userId: string;
  now: number;
  accessTtlMs: number;
  refreshTtlMs: number;
  /** The token values (default: random). */
  values?: { access: string; refresh: string };
}

const toToken = (r: Row): TokenRecord => ({
  value: str(r.value),
  kind: str(r.kind) === "refresh" ? "refresh" : "access",
  pairId: str(r.pair_id),
  clientId: str(r.client_id),
  userId: str(r.user_id),
  expiresAt: num(r.expires_at),
  usedAt: numOrNull(r.used_at),
  revokedAt: numOrNull(r.revoked_at),
  createdAt: num(r.created_at),
});

/** The `AND ...` clauses selecting the tokens of `filter`, and their parameters. */
function tokenWhere(filter: TokenFilter): { sql: string; params: SQLInputValue[] } {
  const { clauses, params } = equalities({
    user_id: filter.userId,
    client_id: filter.clientId,
    value: filter.value,
  });
  if (filter.postboxId) {
    clauses.push("(user_id, client_id) IN (SELECT user_id, client_id FROM postboxes WHERE id = ?)");
    params.push(filter.postboxId);
  }
  return { sql: clauses.length ? ` AND ${clauses.join(" AND ")}` : "", params };
}

/** The `tokens` table. */
export class TokenStore {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** Issues a new access and refresh token for a user of a contract. */
  issue(options: IssueTokensOptions): { access: TokenRecord; refresh: TokenRecord } {
    const { clientId, userId, now, values } = options;
    const pairId = newId("pair_", 12);
    const make = (kind: TokenRecord["kind"], ttl: number): TokenRecord => ({
      value: values?.[kind] ?? newId(kind === "access" ? "at_" : "rt_", 32),
      kind,
      pairId,
      clientId,
      userId,
      expiresAt: now + ttl,
      usedAt: null,
      revokedAt: null,
      createdAt: now,
    });
    const access = make("access", options.accessTtlMs);
    const refresh = make("refresh", options.refreshTtlMs);
    for (const t of [access, refresh]) {
      this.#sql.run(
        `INSERT INTO tokens (value, kind, pair_id, client_id, user_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        t.value,
        t.kind,
        t.pairId,
        t.clientId,
        t.userId,
        t.expiresAt,
        t.createdAt,
      );
    }
    return { access, refresh };
  }

  /** The token with this value, whatever its state. */
  get(value: string): TokenRecord | undefined {
    const row = this.#sql.get("SELECT * FROM tokens WHERE value = ?", value);
    return row && toToken(row);
  }

  /**
   * Rotates a refresh token (the record just read with {@link TokenStore.get}): marks it used and
   * revokes the access token of its pair, so that only the pair issued next is valid. False when
   * it is not a refresh token or was already used (a reuse).
   */
  useRefresh(token: TokenRecord, now: number): boolean {
    if (token.kind !== "refresh") return false;
    const use = "UPDATE tokens SET used_at = ? WHERE value = ? AND used_at IS NULL";
    if (this.#sql.run(use, now, token.value) !== 1) return false;
    this.#sql.run(
      "UPDATE tokens SET revoked_at = ? WHERE pair_id = ? AND kind = 'access' AND revoked_at IS NULL",
      now,
      token.pairId,
    );
    return true;
  }

  /** Makes matching, not yet expired tokens expire now; returns how many changed. */
  expire(filter: TokenFilter, kinds: TokenRecord["kind"][], now: number): number {
    const { sql, params } = tokenWhere(filter);
    let changed = 0;
    for (const kind of kinds) {
      changed += this.#sql.run(
        `UPDATE tokens SET expires_at = ? WHERE kind = ? AND expires_at > ?${sql}`,
        now - 1,
        kind,
        now - 1,
        ...params,
      );
    }
    return changed;
  }

  /** Revokes matching tokens (they then get `InvalidToken`); returns how many changed. */
  revoke(filter: TokenFilter, now: number): number {
    const { sql, params } = tokenWhere(filter);
    return this.#sql.run(`UPDATE tokens SET revoked_at = ? WHERE revoked_at IS NULL${sql}`, now, ...params);
  }
}
