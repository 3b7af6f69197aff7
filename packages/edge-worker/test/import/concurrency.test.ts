/**
 * Concurrency with an import contract (the `test/proof/concurrency.test.ts` pattern): 50
 * simultaneous imports for one user (200 under `PROOF_SOAK=1`), with FHIR pushes and account
 * listings among them, while digi.me considers the access token expired and the Worker's vault
 * still thinks it fresh. Every first attempt with the old token gets `401 InvalidToken`
 * (the import API has no `pending`), which stores nothing; sdk-core asks the vault, which refreshes
 * once for everybody (single-flight), and sends again.
 *
 * What must hold: exactly one refresh at digi.me, every import delivered and stored exactly once
 * (by SHA-256), every push and listing responded to, and the rotated pair stored.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "../../src/client.ts";
import { REPLAYABLE_BYTES } from "../../src/lib/upload.ts";
import { countingFetch } from "../support/browser.ts";
import { bytesOf, sha256 } from "../support/bytes.ts";
import { emulator } from "../support/emulator-admin.ts";
import { importedFiles, signedInImportUser } from "../support/import-users.ts";
import { ORIGIN, SOAK } from "../support/test-env.ts";
import { storedTokens } from "../support/vault-access.ts";

/** Imports at once (`PROOF_SOAK=1`: 200). */
const N = SOAK ? 200 : 50;
/** FHIR pushes and account listings among them. */
const CALLS = 10;

/** File `i`: mostly small (read whole, resent by sdk-core), every tenth over 1 MiB (streamed). */
function fileOf(i: number): { name: string; data: Uint8Array<ArrayBuffer> } {
  const size = i % 10 === 9 ? REPLAYABLE_BYTES + 16 * 1024 + i : 2048 + i * 211;
  return { name: `i-${i}.bin`, data: bytesOf(size, 11_000 + i) };
}

describe(`${N} simultaneous imports for one user, token expired at digi.me`, () => {
  afterEach(async () => {
    await emulator.clearFaults();
  });

  it(
    "exactly one refresh, all delivered, each file once; FHIR pushes and listings too",
    async () => {
      const { browser, userId, digimeUser, before } = await signedInImportUser({ push: true });
      const pushAccount = digimeUser.accounts.find((a) => a.type === "PUSH")?.id as string;
      await emulator.expireTokens({ userId: digimeUser.id });
      // A slow token endpoint: every call that needs the refresh is waiting while it runs.
      await emulator.fault({ route: "token", latencyMs: 150 });
      const { fetch, answers } = countingFetch(browser);
      const client = createClient(ORIGIN, { fetch });
      const files = Array.from({ length: N }, (_, i) => fileOf(i));

      const [uploads, pushes, listings] = await Promise.all([
        Promise.all(files.map((f) => client.upload(new Blob([f.data]), undefined, { fileName: f.name }))),
        Promise.all(
          Array.from({ length: CALLS }, (_, i) =>
            client.pushFhir({ resourceType: "Observation", id: `o-${i}` }, { accountId: pushAccount }),
          ),
        ),
        Promise.all(Array.from({ length: CALLS }, () => client.accounts())),
      ]);

      expect(uploads.map((r) => r.status)).toEqual(Array(N).fill("delivered"));
      expect(uploads.map((r) => r.fileName)).toEqual(files.map((f) => f.name));
      expect(pushes.map((p) => p.status)).toEqual(Array(CALLS).fill("delivered"));
      for (const accounts of listings) expect(accounts.map((a) => a.id)).toContain(pushAccount);
      const stats = await emulator.stats();
      expect(stats.refreshes, "refreshes at digi.me").toBe(1);
      expect(stats.imports).toBe(N);
      expect(stats.fhirPushes).toBe(CALLS);

      // Each file exactly once, byte for byte (by SHA-256; a sample downloaded).
      const library = await importedFiles(digimeUser.id);
      const copies = new Map<string, number>();
      for (const f of library) copies.set(f.sha256, (copies.get(f.sha256) ?? 0) + 1);
      expect(
        [...copies].filter(([, n]) => n > 1),
        "files stored more than once",
      ).toEqual([]);
      expect(new Set(copies.keys())).toEqual(new Set(await Promise.all(files.map((f) => sha256(f.data)))));
      for (const i of [0, 9]) {
        const file = files[i] as (typeof files)[number];
        const hash = await sha256(file.data);
        const stored = library.find((f) => f.sha256 === hash);
        expect(await emulator.download(stored?.url as string)).toEqual(file.data);
      }
      expect(await emulator.userFiles(digimeUser.id, "fhir")).toHaveLength(CALLS);

      // Streamed imports refused after their body was spent were sent once more by the client.
      for (const [key] of answers) if (!key.startsWith("200")) expect(key).toBe("503 TOKEN_REFRESHED_RETRY");
      expect(answers.get("200 ok")).toBe(N);

      // The rotated pair was stored and works: another import needs no refresh.
      const after = await storedTokens(userId);
      expect(after?.refresh_token).not.toBe(before?.refresh_token);
      const again = await client.upload(new Blob(["after"]), undefined, { fileName: "after.txt" });
      expect(again.status).toBe("delivered");
      expect((await emulator.stats()).refreshes).toBe(1);
    },
    SOAK ? 300_000 : 60_000,
  );
});
