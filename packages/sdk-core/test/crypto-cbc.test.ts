import { createCipheriv, randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cbcCiphertextSize, createCbcEncryptStream, encryptCbc } from "../src/crypto/cbc-stream.ts";
import { TypeValidationError } from "../src/errors.ts";
import { concatBytes } from "../src/internal/bytes.ts";
import { randomCbcKey } from "./support/cbc-oracle.ts";
import { settledCount } from "./support/settle.ts";
import { encryptChunks, streamOf } from "./support/streams.ts";

const { iv, key, nodeCbc } = await randomCbcKey();

/** Cuts `data` into chunks whose sizes cycle through `sizes` (0-length chunks included). */
function cut(data: Uint8Array, sizes: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  if (sizes.some((size) => size > 0)) {
    for (let i = 0; offset < data.length; i++) {
      const size = sizes[i % sizes.length] as number;
      chunks.push(data.subarray(offset, offset + size));
      offset += size;
    }
  } else {
    chunks.push(...sizes.map(() => data.subarray(0, 0)), data);
  }
  return chunks;
}

describe("createCbcEncryptStream equals one-shot CBC", () => {
  it("for random data and random chunkings (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(
        // Small chunk sizes mean one WebCrypto call per few blocks: keep their inputs small.
        fc.oneof(
          fc.tuple(fc.integer({ min: 0, max: 64 }), fc.constantFrom(16, 32, 64, undefined)),
          fc.tuple(fc.integer({ min: 0, max: 8192 }), fc.constantFrom(16, 48, 1000)),
          fc.tuple(fc.integer({ min: 0, max: 200_000 }), fc.constantFrom(undefined, 4096, 65_536, 100_000)),
        ),
        fc.array(
          fc.oneof(
            fc.constant(0),
            fc.constant(1),
            fc.integer({ min: 0, max: 33 }),
            fc.integer({ min: 0, max: 80_000 }),
          ),
          { maxLength: 12 },
        ),
        async ([length, chunkSize], sizes) => {
          const data = randomBytes(length);
          const out = await encryptChunks(key, iv, cut(data, sizes), chunkSize);
          const expected = nodeCbc(data);
          expect(Buffer.from(concatBytes(...out)).equals(expected)).toBe(true);
          expect(Buffer.from(await encryptCbc(key, iv, data)).equals(expected)).toBe(true);
          expect(expected.length).toBe(cbcCiphertextSize(length));
          const size = (chunkSize ?? 1 << 20) - ((chunkSize ?? 0) % 16);
          for (const chunk of out.slice(0, -1)) {
            expect(chunk.length % 16).toBe(0);
            expect(chunk.length).toBeLessThanOrEqual(size);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it.each([0, 1, 15, 16, 17, 31, 32, 33, 48, 1 << 20, (1 << 20) + 1])(
    "for %i bytes, whole and byte by byte",
    async (length) => {
      const data = randomBytes(length);
      const expected = nodeCbc(data);
      expect(Buffer.from(concatBytes(...(await encryptChunks(key, iv, [data])))).equals(expected)).toBe(true);
      if (length <= 48) {
        expect(
          Buffer.from(concatBytes(...(await encryptChunks(key, iv, cut(data, [1]), 16)))).equals(expected),
        ).toBe(true);
      }
    },
  );

  it("for 5 MiB in odd chunks, with the default and a small chunk size", async () => {
    const data = randomBytes(5 * 1024 * 1024 + 7);
    const expected = nodeCbc(data);
    const sizes = [1, 7, 65_537, 0, 1_048_577, 333, 2_500_001, 15];
    for (const chunkSize of [undefined, 256 * 1024 + 5]) {
      const out = await encryptChunks(key, iv, cut(data, sizes), chunkSize);
      expect(Buffer.from(concatBytes(...out)).equals(expected)).toBe(true);
    }
  });

  it("is correct when the producer reuses its buffer after each write", async () => {
    const data = randomBytes(100_000);
    const stream = createCbcEncryptStream(key, iv, { chunkSize: 4096 });
    const collected = new Response(stream.readable).arrayBuffer();
    const writer = stream.writable.getWriter();
    const scratch = new Uint8Array(3001);
    for (let offset = 0; offset < data.length; offset += scratch.length) {
      const piece = data.subarray(offset, offset + scratch.length);
      scratch.set(piece);
      await writer.write(scratch.subarray(0, piece.length));
      scratch.fill(0xaa);
    }
    await writer.close();
    expect(Buffer.from(await collected).equals(nodeCbc(data))).toBe(true);
  });

  it("matches node:crypto for AES-128 keys too", async () => {
    const raw = randomBytes(16);
    const k = await crypto.subtle.importKey("raw", raw, "AES-CBC", false, ["encrypt"]);
    const data = randomBytes(10_000);
    const cipher = createCipheriv("aes-128-cbc", raw, iv);
    const expected = Buffer.concat([cipher.update(data), cipher.final()]);
    const out = await encryptChunks(k, iv, cut(data, [333]), 1024);
    expect(Buffer.from(concatBytes(...out)).equals(expected)).toBe(true);
  });
});

describe("createCbcEncryptStream streams", () => {
  it("applies backpressure: an unread output stops the input being pulled", async () => {
    let pulled = 0;
    const source = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulled += 64 * 1024;
          controller.enqueue(new Uint8Array(64 * 1024));
        },
      },
      { highWaterMark: 0 },
    );
    const readable = source.pipeThrough(createCbcEncryptStream(key, iv, { chunkSize: 256 * 1024 }));
    // One output chunk waiting, one chunk being gathered, a few in the pipe's queues.
    const beforeRead = await settledCount(() => pulled, 1024 * 1024);
    expect(beforeRead).toBeGreaterThan(0);
    expect(beforeRead).toBeLessThanOrEqual(1024 * 1024);
    const reader = readable.getReader();
    const first = await reader.read();
    expect(first.value?.length).toBe(256 * 1024);
    const afterOneRead = await settledCount(() => pulled, 1024 * 1024 + 256 * 1024);
    expect(afterOneRead).toBeLessThanOrEqual(1024 * 1024 + 256 * 1024);
    await reader.cancel();
  });

  it("emits output before the input ends", async () => {
    const stream = createCbcEncryptStream(key, iv, { chunkSize: 32 });
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    void writer.write(new Uint8Array(40));
    const { value } = await reader.read();
    expect(value).toEqual(new Uint8Array(nodeCbc(new Uint8Array(40)).subarray(0, 32)));
    void writer.close();
    const rest = await reader.read();
    expect(rest.value).toEqual(new Uint8Array(nodeCbc(new Uint8Array(40)).subarray(32)));
    expect((await reader.read()).done).toBe(true);
  });

  it("reads other views (DataView, Uint16Array) as their bytes", async () => {
    const data = randomBytes(64);
    const chunks = [
      new DataView(data.buffer, data.byteOffset, 10),
      new Uint16Array(data.buffer.slice(data.byteOffset + 10, data.byteOffset + 64)),
    ] as unknown as Uint8Array[];
    expect(
      Buffer.from(concatBytes(...(await encryptChunks(key, iv, chunks, 16)))).equals(nodeCbc(data)),
    ).toBe(true);
  });

  it("fails the stream on a chunk that is not a Uint8Array", async () => {
    const chunks = [new Uint8Array(3), "text" as unknown as Uint8Array];
    await expect(encryptChunks(key, iv, chunks)).rejects.toBeInstanceOf(TypeError);
  });

  it("refuses a bad iv or chunk size, and a key of the wrong kind", async () => {
    expect(() => createCbcEncryptStream(key, new Uint8Array(15))).toThrow(TypeValidationError);
    expect(() => createCbcEncryptStream(key, iv, { chunkSize: 15 })).toThrow(TypeValidationError);
    expect(() => createCbcEncryptStream(key, iv, { chunkSize: 1.5e3 + 0.5 })).toThrow(TypeValidationError);
    await expect(encryptCbc(key, new Uint8Array(17), new Uint8Array(1))).rejects.toBeInstanceOf(
      TypeValidationError,
    );
    const hmac = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    // WebCrypto's own error, passed through unchanged.
    const wrongKind = await encryptCbc(hmac, iv, new Uint8Array(1)).catch((e: unknown) => e);
    expect(wrongKind).toBeInstanceOf(DOMException);
    expect(wrongKind).toMatchObject({ name: "InvalidAccessError", code: 15 });
  });

  it("does not keep a reference to the caller's iv", async () => {
    const ivCopy = new Uint8Array(iv);
    const stream = createCbcEncryptStream(key, ivCopy);
    ivCopy.fill(0);
    const out = await new Response(streamOf([new Uint8Array(20)]).pipeThrough(stream)).arrayBuffer();
    expect(Buffer.from(out).equals(nodeCbc(new Uint8Array(20)))).toBe(true);
  });
});

describe("cbcCiphertextSize", () => {
  it("is (floor(n/16)+1)*16", () => {
    expect([0, 1, 15, 16, 17, 32, 1_000_000].map(cbcCiphertextSize)).toEqual([
      16, 16, 16, 32, 32, 48, 1_000_016,
    ]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (n) => {
        const size = cbcCiphertextSize(n);
        return size % 16 === 0 && size > n && size - n <= 16;
      }),
    );
  });

  it("refuses sizes that are not non-negative integers", () => {
    for (const n of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => cbcCiphertextSize(n)).toThrow(RangeError);
  });
});
