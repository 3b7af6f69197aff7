/**
 * The vault as the release before schema versions were kept left it: migration step 1 is that
 * schema (`test/vault-migration.test.ts` pins it to the one deployed at commit 1c0ac66).
 */
import { runInDurableObject } from "cloudflare:test";
import { vaultFor } from "../../src/lib/session.ts";
import { VAULT_MIGRATIONS, type VaultMigration } from "../../src/lib/vault-schema.ts";
import { testEnv } from "./test-env.ts";

/** The names of a vault's tables (Cloudflare's own `_cf` ones left out), in order. */
export function vaultTables(storage: DurableObjectStorage): string[] {
  return storage.sql
    .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .toArray()
    .map((r) => r.name)
    .filter((n) => !n.startsWith("_cf"));
}

/**
 * Puts a signed-in user's vault back as the release before versions were kept left it: its
 * schema, its token row (with `postbox` instead of the row's own postbox when given), a pending
 * sign-in of the time. Returns the tables it then has.
 */
export async function putVaultBackToSchema0(
  userId: string,
  postbox?: { postboxId: string; publicKey: string },
): Promise<string[]> {
  return runInDurableObject(vaultFor(testEnv, userId), (_i, s) => {
    const row = s.storage.sql.exec("SELECT * FROM tokens").one();
    // Every table of later schemas goes: the first had two.
    for (const table of vaultTables(s.storage)) s.storage.sql.exec(`DROP TABLE ${table}`);
    (VAULT_MIGRATIONS[0] as VaultMigration)(s.storage.sql, 0);
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
    return vaultTables(s.storage);
  });
}
