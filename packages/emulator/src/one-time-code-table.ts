import type { Row, Sql } from "./sql.ts";

/**
 * What the tables of one-time codes share (`authorization_codes`, `preauthorizations`): one row per
 * `code`, used at most once (`used_at` is set once, never cleared).
 */
export class OneTimeCodeTable<T> {
  /** The database's statements, for the table's own queries. */
  protected readonly sql: Sql;
  readonly #table: string;
  readonly #toRecord: (row: Row) => T;

  /**
   * @param sql - The database's statements.
   * @param table - The table's name.
   * @param toRecord - Maps one of its rows.
   */
  constructor(sql: Sql, table: "authorization_codes" | "preauthorizations", toRecord: (row: Row) => T) {
    this.sql = sql;
    this.#table = table;
    this.#toRecord = toRecord;
  }

  /** The row with this code, used or not. */
  get(code: string): T | undefined {
    const row = this.sql.get(`SELECT * FROM ${this.#table} WHERE code = ?`, code);
    return row && this.#toRecord(row);
  }

  /** Marks the code used; false when it already was (a one-time code). */
  use(code: string, now: number): boolean {
    const sql = `UPDATE ${this.#table} SET used_at = ? WHERE code = ? AND used_at IS NULL`;
    return this.sql.run(sql, now, code) === 1;
  }
}
