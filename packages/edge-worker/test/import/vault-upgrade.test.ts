/**
 * A vault of the schema deployed before versions were kept (commit 1c0ac66), signed in through a
 * postbox contract, when the Worker is now set to the import API: it upgrades, the user stays
 * signed in (their token works for accounts), and uploads ask for a new sign-in, which works.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { vaultFor } from "../../src/lib/session";
import { VAULT_MIGRATIONS } from "../../src/lib/vault-schema";
import { errorOf, signIn, storedTokens, upload, uploadForm } from "../support";
import { signedInImportUser } from "./import-support";

const testEnv = env as unknown as Env;

/** The schema of the vaults deployed before versions were kept, verbatim (1c0ac66). */
const SCHEMA_0 = `
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

describe("an old postbox vault under the import API", () => {
  it("upgrades, stays signed in, asks for a new sign-in to upload", async () => {
    const { browser, userId, before } = await signedInImportUser();
    const stub = vaultFor(testEnv, userId);
    await runInDurableObject(stub, (_i, s) => {
      const row = s.storage.sql.exec("SELECT * FROM tokens").one();
      for (const table of ["tokens", "sign_in", "schema_version"]) s.storage.sql.exec(`DROP TABLE ${table}`);
      s.storage.sql.exec(SCHEMA_0);
      s.storage.sql.exec(
        `INSERT INTO tokens (id, access_token, access_expiry, refresh_token, refresh_expiry, postbox_id,
         public_key, updated_at) VALUES (1, ?, ?, ?, ?, 'an-old-postbox', ?, ?)`,
        row.access_token,
        row.access_expiry,
        row.refresh_token,
        row.refresh_expiry,
        "-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n",
        row.updated_at,
      );
    });
    await evictDurableObject(stub);
    expect(await (await browser.fetch("/api/session")).json()).toEqual({
      authenticated: true,
      canWrite: false,
      writeApi: "import",
      canSeal: false,
      accountId: userId,
    });
    expect((await browser.fetch("/api/accounts")).status).toBe(200);
    expect(await errorOf(await upload(browser, uploadForm("x")))).toMatchObject({
      status: 403,
      code: "CANNOT_WRITE",
    });
    expect(await storedTokens(userId)).toEqual(before);
    await runInDurableObject(stub, (_i, s) => {
      expect(s.storage.sql.exec<{ v: number }>("SELECT version AS v FROM schema_version").one().v).toBe(
        VAULT_MIGRATIONS.length,
      );
    });
    await signIn(browser);
    expect((await upload(browser, uploadForm("after a new sign-in"))).status).toBe(200);
  });
});
