import type { DatabaseSync } from "node:sqlite";

/**
 * Steps from one schema version to the next; step `i` takes version `i + 1` to `i + 2`. Version 1
 * is the schema `store-schema.ts` creates. A data folder made by any earlier version is brought up to
 * date at open, in one transaction per step, and keeps its data.
 */
const STEPS: readonly string[] = [
  // 2: import contracts (`pushData`), accounts, and imported / FHIR files beside postbox files.
  `ALTER TABLE contracts ADD COLUMN write_api TEXT NOT NULL DEFAULT 'postbox';
   ALTER TABLE files ADD COLUMN source TEXT NOT NULL DEFAULT 'postbox';
   ALTER TABLE files ADD COLUMN account_id TEXT;
   CREATE TABLE accounts (
     id TEXT PRIMARY KEY, reference TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL, client_id TEXT NOT NULL,
     type TEXT NOT NULL, provider TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
     UNIQUE (user_id, client_id, provider));
   CREATE INDEX accounts_user ON accounts (user_id, created_at);`,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = STEPS.length + 1;

/** Brings the database from its recorded `schema_version` to {@link SCHEMA_VERSION}. */
export function migrate(db: DatabaseSync): void {
  const read = () =>
    Number(
      (db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string }).value,
    );
  for (let version = read(); version < SCHEMA_VERSION; version++) {
    const step = STEPS[version - 1];
    if (step === undefined) throw new Error(`No migration from schema version ${version}`);
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(step);
      db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(version + 1));
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
  }
}
