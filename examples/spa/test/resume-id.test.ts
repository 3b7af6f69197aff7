/**
 * "The same file" for a resumable upload after a reload (`src/resume-store.ts`'s `resumeId`): its
 * name, size, date and a SHA-256 of sampled content (`src/content-sample.ts`), checked against
 * `node:crypto` over the same regions; a file changed in place with its name, size and date kept
 * is another file, and the upload kept for it as it was is found to be ended.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { test } from "node:test";
import {
  contentSample,
  SAMPLE_END_BYTES,
  SAMPLE_WINDOW_BYTES,
  SAMPLE_WINDOWS,
  sampledRegions,
} from "../src/content-sample.ts";
import { keepUrl, keptEarlierIds, keptFileNames, resumeId } from "../src/resume-store.ts";
import { RESUMABLE_THRESHOLD } from "../src/upload-modes.ts";
import { MemoryStorage } from "./support/memory-storage.ts";

const SIZE = RESUMABLE_THRESHOLD + 3 * 1024 * 1024 + 12345;
const DATE = Date.UTC(2026, 0, 2, 3, 4, 5);
const bytes = randomBytes(SIZE);
const fileOf = (content: Uint8Array, name = "big.bin", lastModified = DATE) =>
  new File([content as Uint8Array<ArrayBuffer>], name, { lastModified });
/** `bytes` with the byte at `at` changed. */
const changedAt = (at: number) => {
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at] ?? 0) ^ 0xff;
  return copy;
};
const regions = sampledRegions(SIZE);
/** An offset in no sampled region: the middle of the widest gap between two. */
const unsampled = (() => {
  let best = [0, 0];
  for (let i = 1; i < regions.length; i++) {
    const gap = [regions[i - 1]?.[1] ?? 0, regions[i]?.[0] ?? 0];
    if ((gap[1] ?? 0) - (gap[0] ?? 0) > (best[1] ?? 0) - (best[0] ?? 0)) best = gap;
  }
  return Math.floor(((best[0] ?? 0) + (best[1] ?? 0)) / 2);
})();

test("the sampled regions: the first and last MiB and windows between, in order, apart", () => {
  assert.equal(regions.length, SAMPLE_WINDOWS + 2);
  assert.deepEqual(regions[0], [0, SAMPLE_END_BYTES]);
  assert.deepEqual(regions.at(-1), [SIZE - SAMPLE_END_BYTES, SIZE]);
  for (const [start, end] of regions.slice(1, -1)) assert.equal(end - start, SAMPLE_WINDOW_BYTES);
  for (let i = 1; i < regions.length; i++)
    assert.ok((regions[i]?.[0] ?? 0) > (regions[i - 1]?.[1] ?? 0), `region ${i} after ${i - 1}`);
  assert.ok(!regions.some(([start, end]) => unsampled >= start && unsampled < end));
  // A small file is read whole; an empty one not at all.
  assert.deepEqual(sampledRegions(5 * SAMPLE_WINDOW_BYTES), [[0, 5 * SAMPLE_WINDOW_BYTES]]);
  assert.deepEqual(sampledRegions(2 * SAMPLE_END_BYTES), [[0, 2 * SAMPLE_END_BYTES]]);
  assert.deepEqual(sampledRegions(0), []);
});

test("the content sample is SHA-256 of the size and the sampled regions' bytes", async () => {
  const hash = createHash("sha256");
  const size = Buffer.alloc(8);
  size.writeBigUInt64BE(BigInt(SIZE));
  hash.update(size);
  for (const [start, end] of regions) hash.update(bytes.subarray(start, end));
  assert.equal(await contentSample(fileOf(bytes)), hash.digest("base64url"));
});

test("the same bytes, name, size and date: the same id, in each mode its own", async () => {
  const id = await resumeId("sealed", fileOf(bytes));
  assert.equal(await resumeId("sealed", fileOf(Buffer.from(bytes))), id);
  assert.notEqual(await resumeId("plain", fileOf(bytes)), id);
  assert.ok(id.startsWith(`digime-upload:sealed:${SIZE}:${DATE}:`));
  assert.ok(id.endsWith(":big.bin"));
});

test("one byte changed in a sampled region, name, size and date kept: another id", async () => {
  const id = await resumeId("sealed", fileOf(bytes));
  for (const [start, end] of regions) {
    for (const at of [start, end - 1]) {
      assert.notEqual(await resumeId("sealed", fileOf(changedAt(at))), id, `byte ${at} changed`);
    }
  }
});

test("the name, size and date still count; bytes outside the samples are not seen", async () => {
  const id = await resumeId("plain", fileOf(bytes));
  assert.notEqual(await resumeId("plain", fileOf(bytes, "other.bin")), id);
  assert.notEqual(await resumeId("plain", fileOf(bytes, "big.bin", DATE + 1)), id);
  // One byte longer: the size differs, while the first MiB and (shifted by one) the rest read alike.
  const longer = Buffer.concat([bytes, Buffer.from([0])]);
  assert.notEqual(await resumeId("plain", fileOf(longer)), id);
  // The limit: a change that no sampled region covers keeps the id.
  assert.equal(await resumeId("plain", fileOf(changedAt(unsampled))), id);
});

test("a file changed in place: its earlier kept upload is found; kept names listed", async () => {
  globalThis.localStorage = new MemoryStorage();
  const later = Date.now() + 60_000;
  const before = await resumeId("sealed", fileOf(bytes, "a:b.bin"));
  const now = await resumeId("sealed", fileOf(changedAt(0), "a:b.bin"));
  const plainBefore = await resumeId("plain", fileOf(bytes, "a:b.bin"));
  const otherName = await resumeId("sealed", fileOf(bytes, "c.bin"));
  const expired = await resumeId("sealed", fileOf(changedAt(1), "a:b.bin"));
  keepUrl(before, "/api/uploads/1", later);
  keepUrl(plainBefore, "/api/uploads/2", later);
  keepUrl(otherName, "/api/uploads/3", later);
  keepUrl(expired, "/api/uploads/4", Date.now() - 1);
  localStorage.setItem("digime-upload:sealed:1:2:big.bin", JSON.stringify({ url: "/x", expiresAt: later }));
  assert.deepEqual(keptEarlierIds(now), [before]);
  assert.deepEqual(keptEarlierIds(before), []);
  keepUrl(now, "/api/uploads/5", later);
  assert.deepEqual(keptEarlierIds(before), [now]);
  assert.deepEqual(keptFileNames().sort(), ["a:b.bin", "a:b.bin", "a:b.bin", "c.bin"]);
});
