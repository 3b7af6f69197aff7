/** The vault as the release before schema versions were kept left it. */
import { runInDurableObject } from "cloudflare:test";
import { vaultFor } from "../../src/lib/session.ts";
import { testEnv } from "./test-env.ts";

/** The schema of the vaults deployed before versions were kept (commit 1c0ac66), verbatim. */
export const VAULT_SCHEMA_0 = `
  CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    access_token TEXT NOT NULL, access_expiry INTEGER NOT NULL,
    refresh_token TEXT NOT NULL, refresh_expiry INTEGER NOT NULL,
    postbox_id TEXT, public_key TEXT, updated_at INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS pending_auth (
    nonce TEXT PRIMARY KEY, code_verifier TEXT NOT NULL, return_to TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );`;

/**
 * Puts a signed-in user's vault back as the release before versions were kept left it: its
 * schema, its token row (with `postbox` instead of the row's own postbox when given), a pending
 * sign-in of the time. Answers the tables it then has.
 */
export async function putVaultBackToSchema0(
  userId: string,
  postbox?: { postboxId: string; publicKey: string },
): Promise<string[]> {
  return runInDurableObject(vaultFor(testEnv, userId), (_i, s) => {
    const row = s.storage.sql.exec("SELECT * FROM tokens").one();
    const tables = () =>
      s.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .toArray()
        .map((r) => r.name)
        .filter((n) => !n.startsWith("_cf"));
    // Every table of later schemas goes: the first had two.
    for (const table of tables()) s.storage.sql.exec(`DROP TABLE ${table}`);
    s.storage.sql.exec(VAULT_SCHEMA_0);
    s.storage.sql.exec(
      `INSERT INTO tokens (id, access_token, access_expiry, refresh_token, refresh_expiry, postbox_id,
       public_key, updated_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?)`,
      row.access_token,
      row.access_expiry,
      row.refresh_token,
      row.refresh_expiry,
      postbox?.postboxId ?? row.postbox_id,
      postbox?.publicKey ?? row.public_key,
      row.updated_at,
    );
    s.storage.sql.exec("INSERT INTO pending_auth VALUES ('n', 'v', 'https://edge.test/', 0)");
    return tables();
  });
}
