/**
 * The vault's schema migrations (`src/lib/vault-schema.ts`): step 1 is the schema deployed before
 * versions were kept; a vault made with it, holding a signed-in user, still works after the
 * upgrade; every step runs once; a fresh vault ends at the latest version.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { vaultFor } from "../src/lib/session.ts";
import { migrateVault, VAULT_MIGRATIONS, type VaultMigration } from "../src/lib/vault-schema.ts";
import { signedInUser } from "./support/browser.ts";
import { sha256 } from "./support/bytes.ts";
import { emulator } from "./support/emulator-admin.ts";
import { upload, uploadForm } from "./support/posts.ts";
import { postboxOf, storedTokens } from "./support/vault-access.ts";
import { putVaultBackToSchema0, vaultTables } from "./support/vault-schema-0.ts";

const testEnv = env as unknown as Env;

/**
 * SHA-256 of the schema the vaults deployed before versions were kept were made with (the SQL of
 * `src/vault.ts` at commit 1c0ac66, runs of white space made one space).
 */
const SCHEMA_0_SHA256 = "51887b72532a98d5a4330ca3a5b27e19c5157070160216221037f8f06546e6f9";

describe("vault schema migrations", () => {
  it("step 1 is the schema deployed before versions were kept", async () => {
    const statements: string[] = [];
    const recording = { exec: (query: string) => void statements.push(query) } as unknown as SqlStorage;
    (VAULT_MIGRATIONS[0] as VaultMigration)(recording, 0);
    const schema = statements.join(" ").replace(/\s+/g, " ").trim();
    expect(await sha256(new Uint8Array(new TextEncoder().encode(schema)))).toBe(SCHEMA_0_SHA256);
  });

  it("a vault from before versions were kept, with a signed-in user, still uploads after the upgrade", async () => {
    const { browser, userId, before } = await signedInUser();
    const stub = vaultFor(testEnv, userId);
    // Put the vault back as the previous release left it: its schema, its row, a pending sign-in.
    expect(await putVaultBackToSchema0(userId)).toEqual(["pending_auth", "tokens"]);
    // The next request starts the object anew, as a deployment of this release would.
    const upgradeStart = Date.now();
    await evictDurableObject(stub);
    expect(await (await browser.fetch("/api/session")).json()).toMatchObject({
      authenticated: true,
      canWrite: true,
    });
    const postboxId = await postboxOf(userId);
    expect((await upload(browser, uploadForm("after the upgrade", undefined, "upgraded.txt"))).status).toBe(
      200,
    );
    expect((await emulator.files(postboxId)).map((f) => f.fileName)).toEqual(["upgraded.txt"]);
    expect(await storedTokens(userId)).toEqual(before);
    await runInDurableObject(stub, (_i, s) => {
      // Those of the latest schema (later steps may add more), none of the first's that went.
      expect(vaultTables(s.storage)).toEqual(expect.arrayContaining(["schema_version", "sign_in", "tokens"]));
      expect(vaultTables(s.storage)).not.toContain("pending_auth");
      expect(s.storage.sql.exec<{ v: number }>("SELECT version AS v FROM schema_version").one().v).toBe(
        VAULT_MIGRATIONS.length,
      );
      // Counted as used from the upgrade on (not idle at once): seen at or after it began.
      const seen = s.storage.sql.exec<{ at: number }>("SELECT last_seen_at AS at FROM tokens").one().at;
      expect(seen).toBeGreaterThanOrEqual(upgradeStart);
      expect(seen).toBeLessThanOrEqual(Date.now());
      // Step 3 (import contracts): the account reference, none for a postbox sign-in.
      const row = s.storage.sql.exec("SELECT postbox_id, account_reference FROM tokens").one();
      expect(row).toEqual({ postbox_id: postboxId, account_reference: null });
      // Migrating again takes no step.
      expect(migrateVault(s.storage)).toBe(VAULT_MIGRATIONS.length);
    });
  });

  it("a fresh vault is at the latest version", async () => {
    const { userId } = await signedInUser();
    await runInDurableObject(vaultFor(testEnv, userId), (_i, s) => {
      expect(s.storage.sql.exec<{ v: number }>("SELECT version AS v FROM schema_version").one().v).toBe(
        VAULT_MIGRATIONS.length,
      );
      expect(VAULT_MIGRATIONS.length).toBeGreaterThanOrEqual(3);
    });
  });
});
