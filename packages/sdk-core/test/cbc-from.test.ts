/**
 * `cbcEncryptFrom` (the `./internal` subpath): the AES-CBC ciphertext of a file from any offset,
 * checked against node:crypto's one-shot AES-256-CBC, with a non-extractable key.
 */
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cbcEncryptFrom } from "../src/crypto/cbc-from.ts";
import { TypeValidationError } from "../src/errors.ts";
import * as internalApi from "../src/index-internal.ts";
import { randomCbcKey } from "./support/cbc-oracle.ts";

const { iv, key, nodeCbc } = await randomCbcKey();

async function read(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  return Buffer.from(await new Response(stream).arrayBuffer());
}

describe("cbcEncryptFrom", () => {
  it("is exported by the ./internal subpath", () => {
    expect(internalApi.cbcEncryptFrom).toBe(cbcEncryptFrom);
  });

  it("gives every offset's tail of node:crypto's ciphertext, around block boundaries", async () => {
    for (const size of [0, 1, 15, 16, 17, 31, 32, 33, 100]) {
      const plain = randomBytes(size);
      const whole = nodeCbc(plain);
      for (let offset = 0; offset <= whole.length; offset++) {
        const tail = await read(await cbcEncryptFrom(key, iv, new Blob([plain]), offset));
        expect(tail.equals(whole.subarray(offset)), `size ${size}, offset ${offset}`).toBe(true);
      }
    }
  });

  it("for random sizes and offsets (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (size, where) => {
          const plain = randomBytes(size);
          const whole = nodeCbc(plain);
          const offset = Math.floor(where * whole.length);
          const tail = await read(await cbcEncryptFrom(key, iv, new Blob([plain]), offset));
          expect(tail.equals(whole.subarray(offset))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("resumes a file larger than one encryption chunk (1 MiB) at and around chunk boundaries", async () => {
    const plain = randomBytes(3 * 1024 * 1024 + 1234);
    const whole = nodeCbc(plain);
    const blob = new Blob([plain]);
    const mib = 1024 * 1024;
    for (const offset of [mib - 16, mib - 1, mib, mib + 1, 2 * mib + 7, whole.length - 16, whole.length]) {
      const tail = await read(await cbcEncryptFrom(key, iv, blob, offset));
      expect(tail.equals(whole.subarray(offset)), `offset ${offset}`).toBe(true);
    }
  });

  it("from a kept chaining block: every block boundary's block, at and after it", async () => {
    const plain = randomBytes(300);
    const whole = nodeCbc(plain);
    const blob = new Blob([plain]);
    for (let at = 16; at < whole.length; at += 16) {
      const chain = { at, block: whole.subarray(at - 16, at) };
      for (const offset of [at, at + 1, at + 15, at + 16, at + 33, whole.length - 1]) {
        if (offset >= whole.length) continue;
        const tail = await read(await cbcEncryptFrom(key, iv, blob, offset, chain));
        expect(tail.equals(whole.subarray(offset)), `chain at ${at}, offset ${offset}`).toBe(true);
      }
    }
  });

  it("uses the chaining block it is given, not the file before it", async () => {
    const plain = randomBytes(100);
    const whole = nodeCbc(plain);
    const wrong = { at: 32, block: new Uint8Array(16) };
    const tail = await read(await cbcEncryptFrom(key, iv, new Blob([plain]), 64, wrong));
    expect(tail.length).toBe(whole.length - 64);
    expect(tail.equals(whole.subarray(64))).toBe(false);
  });

  it("refuses a chaining block that does not end at a block boundary up to the offset's", async () => {
    const blob = new Blob([randomBytes(100)]); // 112 bytes of ciphertext
    const block = new Uint8Array(16);
    for (const chain of [
      { at: 0, block },
      { at: 24, block },
      { at: 80, block }, // past the boundary of offset 70 (64)
      { at: 32, block: new Uint8Array(15) },
    ]) {
      const refused = await cbcEncryptFrom(key, iv, blob, 70, chain).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(TypeValidationError);
      expect((refused as TypeValidationError).issues?.[0]?.path).toEqual(["chain"]);
    }
  });

  it("refuses an offset outside the ciphertext, naming the field", async () => {
    const blob = new Blob([randomBytes(20)]); // 32 bytes of ciphertext
    for (const offset of [-1, 33, 1.5, Number.NaN]) {
      const refused = await cbcEncryptFrom(key, iv, blob, offset).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(TypeValidationError);
      expect((refused as TypeValidationError).issues?.[0]?.path).toEqual(["offset"]);
    }
  });

  it("refuses an iv that is not 16 bytes, also with a chaining block that makes it unused", async () => {
    const blob = new Blob([randomBytes(40)]);
    for (const chain of [undefined, { at: 32, block: new Uint8Array(16) }]) {
      const refused = await cbcEncryptFrom(key, new Uint8Array(8), blob, 32, chain).catch(
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(TypeValidationError);
      expect((refused as TypeValidationError).issues?.[0]?.path).toEqual(["iv"]);
    }
  });
});
