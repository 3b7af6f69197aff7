/**
 * The vault's SQLite schema, as numbered, forward-only steps. A vault records the number of steps
 * it has taken (`schema_version`) and takes the missing ones, in order, each in one transaction
 * with its new number, when its object starts. Never change a step that has shipped: add one.
 */

/** One step: brings storage from version `n - 1` to `n` (its position in the list, from 1). */
export type VaultMigration = (sql: SqlStorage, now: number) => void;

/** The steps, in order. Step 1 is the schema from before versions were kept (so it takes it as is). */
export const VAULT_MIGRATIONS: readonly VaultMigration[] = [
  // 1: the token pair and postbox; the pending sign-ins of the time.
  (sql) =>
    sql.exec(`
      CREATE TABLE IF NOT EXISTS tokens (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        access_token TEXT NOT NULL, access_expiry INTEGER NOT NULL,
        refresh_token TEXT NOT NULL, refresh_expiry INTEGER NOT NULL,
        postbox_id TEXT, public_key TEXT, updated_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS pending_auth (
        nonce TEXT PRIMARY KEY, code_verifier TEXT NOT NULL, return_to TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );`),
  // 2: the idle timeout (a vault signed in before counts as used now); pending sign-ins moved to
  // the browser's encrypted cookie; a vault is claimed once by the sign-in it belongs to.
  (sql, now) => {
    sql.exec("ALTER TABLE tokens ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0");
    sql.exec("UPDATE tokens SET last_seen_at = ?", now);
    sql.exec("DROP TABLE IF EXISTS pending_auth");
    sql.exec("CREATE TABLE sign_in (id INTEGER PRIMARY KEY CHECK (id = 1), claimed_at INTEGER NOT NULL)");
  },
  // 3: an import contract's sign-in gives an account reference instead of a postbox.
  (sql) => sql.exec("ALTER TABLE tokens ADD COLUMN account_reference TEXT"),
  // 4: resumable uploads (tus): each one's offset, staged R2 parts, staging key, state and expiry.
  (sql) =>
    sql.exec(`
      CREATE TABLE IF NOT EXISTS uploads (
        id TEXT PRIMARY KEY, mode TEXT NOT NULL, length INTEGER NOT NULL, offset INTEGER NOT NULL,
        r2_key TEXT NOT NULL, r2_upload_id TEXT NOT NULL, parts TEXT NOT NULL,
        tail_bytes INTEGER NOT NULL, staging_key BLOB, metadata TEXT NOT NULL, state TEXT NOT NULL,
        result TEXT, lock_id TEXT, lock_until INTEGER, created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );`),
];

/**
 * Brings a vault's storage to the latest version.
 *
 * @param storage - The object's storage.
 * @returns The version it is at now.
 */
export function migrateVault(storage: DurableObjectStorage): number {
  const { sql } = storage;
  sql.exec(
    "CREATE TABLE IF NOT EXISTS schema_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)",
  );
  let version =
    sql.exec<{ version: number }>("SELECT version FROM schema_version WHERE id = 1").toArray()[0]?.version ??
    0;
  while (version < VAULT_MIGRATIONS.length) {
    const step = VAULT_MIGRATIONS[version] as VaultMigration;
    const next = version + 1;
    storage.transactionSync(() => {
      step(sql, Date.now());
      sql.exec("INSERT OR REPLACE INTO schema_version (id, version) VALUES (1, ?)", next);
    });
    version = next;
  }
  return version;
}
