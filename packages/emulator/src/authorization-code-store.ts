import { OneTimeCodeTable } from "./one-time-code-table.ts";
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

/** The `authorization_codes` table: {@link OneTimeCodeTable.get} and `use` redeem a code once. */
export class AuthorizationCodeStore extends OneTimeCodeTable<AuthorizationCode> {
  constructor(sql: Sql) {
    super(sql, "authorization_codes", toAuthorizationCode);
  }

  /** Stores an authorization code. */
  create(a: Omit<AuthorizationCode, "usedAt">): AuthorizationCode {
    this.sql.run(
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
}
