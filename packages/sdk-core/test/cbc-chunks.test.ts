import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concatBytes } from "../src/internal/bytes.ts";
import { cbcEncryptChunks, DEFAULT_CHUNK_SIZE, writePieceSize } from "../src/internal/cbc.ts";
import { randomCbcKey } from "./support/cbc-oracle.ts";

const { iv, key, nodeCbc } = await randomCbcKey();

/** `chunks` as an iterator that counts what was read and whether it was returned. */
function source(chunks: Uint8Array[], failAt = -1) {
  const state = { read: 0, returned: undefined as unknown, pieces: chunks };
  let i = 0;
  const iterator: AsyncIterator<Uint8Array> = {
    async next() {
      if (i === failAt) throw new Error("source failed");
      if (i >= chunks.length) return { done: true, value: undefined };
      const chunk = chunks[i++] as Uint8Array;
      state.read += chunk.length;
      return { done: false, value: chunk };
    },
    async return(reason?: unknown) {
      state.returned = reason;
      return { done: true, value: undefined };
    },
  };
  return { iterator, state };
}

async function all(chunks: AsyncIterator<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let next = await chunks.next(); !next.done; next = await chunks.next()) out.push(next.value);
  return out;
}

/** Cuts `data` at the given (sorted, deduplicated) offsets. */
function cutAt(data: Uint8Array, offsets: number[]): Uint8Array[] {
  const points = [...new Set([0, ...offsets.filter((o) => o < data.length), data.length])].sort(
    (a, b) => a - b,
  );
  return points.slice(1).map((end, i) => data.subarray(points[i], end));
}

describe("cbcEncryptChunks", () => {
  it("equals node:crypto's CBC for random data, chunkings and piece sizes (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5000 }),
        fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 64 }),
        async (length, offsets, blocks) => {
          const data = new Uint8Array(randomBytes(length));
          const size = blocks * 16;
          const out = await all(cbcEncryptChunks(key, iv, source(cutAt(data, offsets)).iterator, size));
          expect(Buffer.from(concatBytes(...out)).equals(nodeCbc(data))).toBe(true);
          // Pieces of `size` bytes, the padded last one at most `size + 16`.
          for (const piece of out.slice(0, -1)) expect(piece.length).toBe(size);
          expect(out.at(-1)?.length).toBeLessThanOrEqual(size + 16);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("hands each piece out in views of at most outSize bytes, still one piece ahead", async () => {
    const data = new Uint8Array(randomBytes(10_000));
    const every512 = Array.from({ length: 19 }, (_, i) => (i + 1) * 512);
    const { iterator, state } = source(cutAt(data, every512));
    const pieces = cbcEncryptChunks(key, iv, iterator, 4096, 1000);
    const first = await pieces.next();
    expect(first.value?.length).toBe(1000);
    expect(state.read).toBeLessThanOrEqual(2 * 4096); // the first piece and the one read ahead
    const out = [first.value as Uint8Array, ...(await all(pieces))];
    expect(Buffer.from(concatBytes(...out)).equals(nodeCbc(data))).toBe(true);
    // 4096 = 1000 + 1000 + 1000 + 1000 + 96, twice; then the padded last piece (1824 bytes).
    expect(out.map((view) => view.length)).toEqual([
      ...[1000, 1000, 1000, 1000, 96],
      ...[1000, 1000, 1000, 1000, 96],
      1000,
      824,
    ]);
    expect(new Set(out.slice(0, 5).map((view) => view.buffer)).size).toBe(1); // views, not copies
  });

  it("makes a write's WebCrypto calls 4 MiB on Node (1 MiB elsewhere), handed out by the MiB", () => {
    expect(writePieceSize()).toBe(4 * DEFAULT_CHUNK_SIZE);
    expect(DEFAULT_CHUNK_SIZE).toBe(1024 * 1024);
  });

  it("reads chunks larger than a piece without copying them first, and SharedArrayBuffer views", async () => {
    const data = new Uint8Array(randomBytes(10_000));
    const shared = new Uint8Array(new SharedArrayBuffer(3000));
    shared.set(data.subarray(7000));
    const chunks = [data.subarray(0, 7000), shared];
    const out = await all(cbcEncryptChunks(key, iv, source(chunks).iterator, 1024));
    expect(Buffer.from(concatBytes(...out)).equals(nodeCbc(data))).toBe(true);
  });

  it("encrypts one piece ahead of its reader, no more", async () => {
    const chunks = Array.from({ length: 40 }, () => new Uint8Array(randomBytes(256)));
    const { iterator, state } = source(chunks);
    const pieces = cbcEncryptChunks(key, iv, iterator, 1024);
    expect(state.read).toBe(0); // nothing before the first read
    await pieces.next();
    // The first piece, and the next one read while the first is sent (awaited by the next read).
    const second = pieces.next();
    expect(state.read).toBeLessThanOrEqual(2 * 1024);
    await second;
    expect(state.read).toBeLessThanOrEqual(3 * 1024);
    await pieces.return?.();
  });

  it("returns its source when returned early, with the reason", async () => {
    const { iterator, state } = source(Array.from({ length: 10 }, () => new Uint8Array(4096)));
    const pieces = cbcEncryptChunks(key, iv, iterator, 1024);
    await pieces.next();
    const reason = new Error("stop");
    expect(await pieces.return?.(reason as never)).toEqual({ done: true, value: undefined });
    expect(state.returned).toBe(reason);
  });

  it("fails with its source's error, also when it came while reading ahead", async () => {
    const chunks = Array.from({ length: 3 }, () => new Uint8Array(1024));
    await expect(all(cbcEncryptChunks(key, iv, source(chunks, 0).iterator, 1024))).rejects.toThrow(
      "source failed",
    );
    const pieces = cbcEncryptChunks(key, iv, source(chunks, 2).iterator, 1024);
    expect((await pieces.next()).value?.length).toBe(1024);
    await expect(pieces.next()).resolves.toMatchObject({ done: false }); // the second chunk
    await expect(pieces.next()).rejects.toThrow("source failed");
  });
});
