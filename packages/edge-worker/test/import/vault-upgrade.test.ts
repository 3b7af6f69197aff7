/**
 * A vault of the schema deployed before versions were kept (commit 1c0ac66), signed in through a
 * postbox contract, when the Worker is now set to the import API: it upgrades, the user stays
 * signed in (their token works for accounts), and uploads ask for a new sign-in, which works.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { vaultFor } from "../../src/lib/session.ts";
import { VAULT_MIGRATIONS } from "../../src/lib/vault-schema.ts";
import { errorOf } from "../support/answers.ts";
import { signIn } from "../support/browser.ts";
import { signedInImportUser } from "../support/import-users.ts";
import { upload, uploadForm } from "../support/posts.ts";
import { storedTokens } from "../support/vault-access.ts";
import { putVaultBackToSchema0 } from "../support/vault-schema-0.ts";

const testEnv = env as unknown as Env;

describe("an old postbox vault under the import API", () => {
  it("upgrades, stays signed in, asks for a new sign-in to upload", async () => {
    const { browser, userId, before } = await signedInImportUser();
    const stub = vaultFor(testEnv, userId);
    await putVaultBackToSchema0(userId, {
      postboxId: "an-old-postbox",
      publicKey: "-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n",
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
