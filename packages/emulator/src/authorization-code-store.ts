import { num, numOrNull, type Row, type Sql, str } from "./sql.ts";

/** A one-time authorization code handed to the app's `redirectUri`. */
export interface AuthorizationCode {
  code: string;
  clientId: string;
  userId: string;
  postboxId: string;
  codeChallenge: string;
  expiresAt: number;
  usedAt: number | null;
  createdAt: number;
}

const toAuthorizationCode = (r: Row): AuthorizationCode => ({
  code: str(r.code),
  clientId: str(r.client_id),
  userId: str(r.user_id),
  postboxId: str(r.postbox_id),
  codeChallenge: str(r.code_challenge),
  expiresAt: num(r.expires_at),
  usedAt: numOrNull(r.used_at),
  createdAt: num(r.created_at),
});

/** The `authorization_codes` table. */
export class AuthorizationCodeStore {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** Stores an authorization code. */
  create(a: Omit<AuthorizationCode, "usedAt">): AuthorizationCode {
    this.#sql.run(
      `INSERT INTO authorization_codes (code, client_id, user_id, postbox_id, code_challenge, expires_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      a.code,
      a.clientId,
      a.userId,
      a.postboxId,
      a.codeChallenge,
      a.expiresAt,
      a.createdAt,
    );
    return { ...a, usedAt: null };
  }

  /** The authorization code, used or not. */
  get(code: string): AuthorizationCode | undefined {
    const row = this.#sql.get("SELECT * FROM authorization_codes WHERE code = ?", code);
    return row && toAuthorizationCode(row);
  }

  /** Marks an authorization code as redeemed; false when it already was (one-time codes). */
  use(code: string, now: number): boolean {
    const sql = "UPDATE authorization_codes SET used_at = ? WHERE code = ? AND used_at IS NULL";
    return this.#sql.run(sql, now, code) === 1;
  }
}
