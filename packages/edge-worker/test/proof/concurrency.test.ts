/**
 * Concurrency: 50 simultaneous uploads for one user through the Worker, with an access token that
 * digi.me considers expired (the emulator's `/admin/expire-tokens`) while the Worker's vault still
 * thinks it fresh. Every first attempt that carries the old token gets `pending`; the
 * Worker refreshes through the user's Durable Object, single-flight, and the upload goes again.
 *
 * What must hold: exactly one refresh at digi.me, 50 uploads delivered, and the library holds each
 * file exactly once (counted by SHA-256 of what digi.me decrypted).
 *
 * Duplicates. The write API has no idempotency key (docs/wire-format.md), so a write would be
 * stored twice if an attempt was stored, its answer never reached the Worker, and the write were
 * sent again. Neither sdk-core nor the Worker does that by itself: such an upload ends with 502
 * `DIGIME_OUTCOME_UNKNOWN` (the typed client's `mayHaveArrived`), and sending it again is the
 * caller's choice. A `pending` answer stores nothing, so the refresh-and-resend of this file never
 * duplicates. The last test loses one answer in the middle of a concurrent batch: no duplicate.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createClient, type EdgeClientError } from "../../src/client.ts";
import { REPLAYABLE_BYTES } from "../../src/lib/upload.ts";
import { countingFetch, signedInUser } from "../support/browser.ts";
import { bytesOf, sha256 } from "../support/bytes.ts";
import { proxyScript } from "../support/digime-proxy.ts";
import { emulator, libraryCopies } from "../support/emulator-admin.ts";
import { ORIGIN, SOAK } from "../support/test-env.ts";
import { storedTokens } from "../support/vault-access.ts";

/** Uploads at once (`PROOF_SOAK=1`: 200). */
const N = SOAK ? 200 : 50;

/** File `i`: mostly small (read whole, resent by the Worker), every tenth over 1 MiB (streamed). */
function fileOf(i: number): { name: string; data: Uint8Array<ArrayBuffer> } {
  const size = i % 10 === 9 ? REPLAYABLE_BYTES + 16 * 1024 + i : 2048 + i * 211;
  return { name: `c-${i}.bin`, data: bytesOf(size, 7_000 + i) };
}

/** A signed-in user (see `signedInUser`), with no faults and no proxy script in place. */
async function ready() {
  await emulator.clearFaults();
  await proxyScript.clear();
  return signedInUser();
}

/** The library holds exactly `files`, each once, byte for byte. */
async function expectEachOnce(postboxId: string, files: { name: string; data: Uint8Array<ArrayBuffer> }[]) {
  const library = await emulator.files(postboxId);
  const copies = await libraryCopies(postboxId);
  const want = await Promise.all(files.map((f) => sha256(f.data)));
  const duplicates = [...copies].filter(([, n]) => n > 1);
  expect(duplicates, "files stored more than once").toEqual([]);
  expect(library).toHaveLength(files.length);
  expect(new Set(copies.keys())).toEqual(new Set(want));
  expect(library.map((f) => f.fileName).sort()).toEqual(files.map((f) => f.name).sort());
  // Byte for byte, for a sample of them (the SHA-256 above covers the rest).
  for (const i of [0, 9, files.length - 1]) {
    const file = files[i] as (typeof files)[number];
    const stored = library.find((f) => f.fileName === file.name);
    expect(await emulator.download(stored?.url as string)).toEqual(file.data);
  }
}

describe(`${N} simultaneous uploads for one user, token expired at digi.me`, () => {
  afterEach(async () => {
    await emulator.clearFaults();
    await proxyScript.clear();
  });

  it.each(["plain", "sealed"] as const)(
    "%s: exactly one refresh, all delivered, each file once",
    async (mode) => {
      const { browser, userId, postboxId, before } = await ready();
      await emulator.expireTokens({ postboxId });
      // A slow token endpoint: every upload that needs the refresh is waiting while it runs.
      await emulator.fault({ route: "token", latencyMs: 150 });
      const { fetch, answers } = countingFetch(browser);
      const client = createClient(ORIGIN, { fetch });
      const files = Array.from({ length: N }, (_, i) => fileOf(i));

      const results = await Promise.all(
        files.map((f) =>
          mode === "plain"
            ? client.upload(new Blob([f.data]), undefined, { fileName: f.name })
            : client.uploadSealed(new Blob([f.data]), undefined, { fileName: f.name }),
        ),
      );

      expect(results.map((r) => r.status)).toEqual(Array(N).fill("delivered"));
      expect(results.map((r) => r.fileName)).toEqual(files.map((f) => f.name));
      const stats = await emulator.stats();
      expect(stats.refreshes, "refreshes at digi.me").toBe(1);
      expect(stats.writes).toBe(N);
      // Some first attempts carried the expired token and stored nothing ("pending").
      expect(stats.pending).toBeGreaterThan(0);
      await expectEachOnce(postboxId, files);

      // Streamed uploads (over 1 MiB) refused after their body was spent were sent once more by the
      // client (503 TOKEN_REFRESHED_RETRY); nothing else failed.
      const failed = [...answers].filter(([key]) => !key.startsWith("200"));
      for (const [key] of failed) expect(key).toBe("503 TOKEN_REFRESHED_RETRY");
      expect(answers.get("200 ok")).toBe(N);

      // The rotated pair was stored and works: another upload needs no refresh.
      const after = await storedTokens(userId);
      expect(after?.refresh_token).not.toBe(before?.refresh_token);
      expect(after?.access_expiry).toBeGreaterThan(Date.now());
      const again = await client.upload(new Blob(["after"]), undefined, { fileName: "after.txt" });
      expect(again.status).toBe("delivered");
      expect((await emulator.stats()).refreshes).toBe(1);
    },
    SOAK ? 300_000 : 30_000,
  );

  it("a write whose answer is lost after digi.me stored it: DIGIME_OUTCOME_UNKNOWN, stored once, no duplicate", async () => {
    const { browser, postboxId } = await ready();
    const client = createClient(ORIGIN, { fetch: browser.fetchForClient });
    const files = Array.from({ length: 20 }, (_, i) => ({
      name: `d-${i}.bin`,
      data: bytesOf(4096 + i, 9_000 + i),
    }));
    // The first write to reach digi.me is stored, and its answer is cut on the way back. sdk-core
    // sees a network error after the whole body went out: the outcome is unknown, so it does not
    // send the write again, and the Worker says so.
    await proxyScript.add({ route: "postbox", action: "lose-answer" });
    const results = await Promise.all(
      files.map((f) =>
        client.upload(new Blob([f.data]), undefined, { fileName: f.name }).then(
          (r) => r.status as string,
          (e: EdgeClientError) => `${e.status} ${e.code} ${e.mayHaveArrived}`,
        ),
      ),
    );
    expect(results.sort()).toEqual(["502 DIGIME_OUTCOME_UNKNOWN true", ...Array(19).fill("delivered")]);
    expect((await proxyScript.state()).applied).toHaveLength(1);

    const copies = await libraryCopies(postboxId);
    expect(copies.size).toBe(20);
    expect([...copies.values()]).toEqual(Array(20).fill(1));
    expect((await emulator.stats()).writes).toBe(20);
  });
});
