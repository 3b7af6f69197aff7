import { num, type Sql } from "./sql.ts";

/** The `nonces` table: request nonces seen, each kept until it expires. */
export class NonceStore {
  readonly #sql: Sql;
  #inserts = 0;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /**
   * Records a request nonce until `expiresAt`; false when this contract already used it and it has
   * not expired (a replay).
   */
  record(clientId: string, nonce: string, expiresAt: number, now: number): boolean {
    // Expired nonces are swept now and then, not on every request.
    if (++this.#inserts % 128 === 0) this.#sql.run("DELETE FROM nonces WHERE expires_at < ?", now);
    const existing = this.#sql.get(
      "SELECT expires_at FROM nonces WHERE client_id = ? AND nonce = ?",
      clientId,
      nonce,
    );
    if (existing && num(existing.expires_at) >= now) return false;
    this.#sql.run(
      "INSERT INTO nonces (client_id, nonce, expires_at) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET expires_at = excluded.expires_at",
      clientId,
      nonce,
      expiresAt,
    );
    return true;
  }
}
