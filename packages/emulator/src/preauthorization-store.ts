import { OneTimeCodeTable } from "./one-time-code-table.ts";
import { num, numOrNull, type Row, type Sql, str, strOrNull } from "./sql.ts";

/** A started authorization (`oauth/authorize`) waiting for the person's consent. */
export interface Preauthorization {
  code: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  state: string | null;
  /** Set when the app sent an existing user's access token: consent links that library. */
  userId: string | null;
  sessionKey: string;
  expiresAt: number;
  usedAt: number | null;
  createdAt: number;
}

const toPreauthorization = (r: Row): Preauthorization => ({
  code: str(r.code),
  clientId: str(r.client_id),
  redirectUri: str(r.redirect_uri),
  codeChallenge: str(r.code_challenge),
  state: strOrNull(r.state),
  userId: strOrNull(r.user_id),
  sessionKey: str(r.session_key),
  expiresAt: num(r.expires_at),
  usedAt: numOrNull(r.used_at),
  createdAt: num(r.created_at),
});

/** The `preauthorizations` table: {@link OneTimeCodeTable.get} and `use` decide one once. */
export class PreauthorizationStore extends OneTimeCodeTable<Preauthorization> {
  constructor(sql: Sql) {
    super(sql, "preauthorizations", toPreauthorization);
  }

  /** Stores a started authorization. */
  create(p: Omit<Preauthorization, "usedAt">): Preauthorization {
    this.sql.run(
      `INSERT INTO preauthorizations (code, client_id, redirect_uri, code_challenge, state, user_id, session_key, expires_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      p.code,
      p.clientId,
      p.redirectUri,
      p.codeChallenge,
      p.state,
      p.userId,
      p.sessionKey,
      p.expiresAt,
      p.createdAt,
    );
    return { ...p, usedAt: null };
  }
}
