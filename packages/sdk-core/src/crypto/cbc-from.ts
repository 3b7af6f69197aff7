/**
 * AES-CBC (PKCS#7) ciphertext of a file from any byte on, for resuming a sealed upload after the
 * page that started it is gone: the same key and iv give the same bytes, so the block that chains
 * into the offset's block is encrypted again from the plaintext before it, and only what follows
 * the offset is handed out. Exported by the unstable `./internal` subpath.
 */
import { TypeValidationError } from "../errors.ts";
import { BLOCK } from "../internal/cbc.ts";
import { cbcCiphertextSize, createCbcEncryptStream } from "./cbc-stream.ts";

/**
 * The ciphertext of `file` (AES-CBC with PKCS#7 padding under `key` and `iv`, as `seal` encrypts a
 * file) from byte `offset` of the ciphertext to its end. The chaining block at the last block
 * boundary at or before `offset` comes from encrypting the file up to there again (read as a
 * stream, never held whole); nothing before `offset` is handed out.
 *
 * @param key - An AES-CBC key with usage `encrypt` (it may be non-extractable).
 * @param iv - The 16-byte iv the ciphertext started with.
 * @param file - The plaintext.
 * @param offset - Where to start, in bytes of the ciphertext (`0` to its size, `cbcCiphertextSize(file.size)`).
 * @returns The ciphertext from `offset`, streamed.
 * @throws TypeValidationError when `offset` is not a whole number within the ciphertext, or `iv`
 *   is not 16 bytes.
 */
export async function cbcEncryptFrom(
  key: CryptoKey,
  iv: Uint8Array,
  file: Blob,
  offset: number,
): Promise<ReadableStream<Uint8Array>> {
  const total = cbcCiphertextSize(file.size);
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > total) {
    throw new TypeValidationError(`offset must be a whole number from 0 to ${total}`, {
      issues: [{ path: ["offset"], message: `a whole number from 0 to ${total}` }],
    });
  }
  if (offset === total) return new ReadableStream({ start: (controller) => controller.close() });
  const from = offset - (offset % BLOCK); // at most the start of the last (padded) block
  const chain = from === 0 ? iv : await lastCipherBlock(key, iv, file.slice(0, from));
  const rest = file.slice(from).stream().pipeThrough(createCbcEncryptStream(key, chain));
  return offset === from ? rest : rest.pipeThrough(dropFirst(offset - from));
}

/** The cipher block at the end of `prefix` (whole blocks), which chains into the next one. */
async function lastCipherBlock(key: CryptoKey, iv: Uint8Array, prefix: Blob): Promise<Uint8Array> {
  // The stream pads: its output is the prefix's blocks and one padding block after them.
  const end = prefix.size;
  const block = new Uint8Array(BLOCK);
  const reader = prefix.stream().pipeThrough(createCbcEncryptStream(key, iv)).getReader();
  let at = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return block;
    // The part of this chunk within [end - BLOCK, end), if any.
    const lo = Math.max(at, end - BLOCK);
    const hi = Math.min(at + value.length, end);
    if (lo < hi) block.set(value.subarray(lo - at, hi - at), lo - (end - BLOCK));
    at += value.length;
  }
}

/** A stream that drops its first `count` bytes. */
function dropFirst(count: number): TransformStream<Uint8Array, Uint8Array> {
  let left = count;
  return new TransformStream({
    transform(chunk, controller) {
      if (left >= chunk.length) {
        left -= chunk.length;
        return;
      }
      controller.enqueue(left > 0 ? chunk.subarray(left) : chunk);
      left = 0;
    },
  });
}
