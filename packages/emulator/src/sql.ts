import { randomBytes } from "node:crypto";
import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";

/** One row as `node:sqlite` returns it. */
export type Row = Record<string, SQLInputValue>;

/** A column's value as a string. */
export const str = (v: unknown): string => String(v);
/** A column's value as a number. */
export const num = (v: unknown): number => Number(v);
/** A nullable column's value as a number or null. */
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
/** A nullable column's value as a string or null. */
export const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/**
 * `column = ?` clauses and their parameters, for the columns given a value (empty ones are left
 * out): the filters of the list and bulk-update queries.
 */
export function equalities(columns: Record<string, SQLInputValue | undefined>): {
  clauses: string[];
  params: SQLInputValue[];
} {
  const given = Object.entries(columns).filter((entry): entry is [string, SQLInputValue] =>
    Boolean(entry[1]),
  );
  return { clauses: given.map(([column]) => `${column} = ?`), params: given.map(([, value]) => value) };
}

/** A random identifier: `prefix` + 16 random bytes in base64url. */
export const newId = (prefix: string, bytes = 16): string =>
  `${prefix}${randomBytes(bytes).toString("base64url")}`;

/** The statements of one database, each prepared once; what the table stores share. */
export class Sql {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  #stmt(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** The first row of `sql`, if any. */
  get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.#stmt(sql).get(...params) as Row | undefined;
  }

  /** Every row of `sql`. */
  all(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.#stmt(sql).all(...params) as Row[];
  }

  /** Runs `sql`; returns the number of rows it changed. */
  run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.#stmt(sql).run(...params).changes);
  }

  /** Runs `fn` in one SQLite transaction. */
  transaction<T>(fn: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }
}
