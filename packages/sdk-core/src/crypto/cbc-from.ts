/**
 * AES-CBC (PKCS#7) ciphertext of a file from any byte on, for resuming a sealed upload after the
 * page that started it is gone: the same key and iv give the same bytes, so the block that chains
 * into the offset's block is encrypted again from the plaintext before it, and only what follows
 * the offset is handed out (or from a chaining block kept earlier, since ciphertext is no secret).
 * Exported by the unstable `./internal` subpath.
 */
import { TypeValidationError } from "../errors.ts";
import { BLOCK } from "../internal/cbc.ts";
import { cbcCiphertextSize, checkIv, createCbcEncryptStream } from "./cbc-stream.ts";

/** A cipher block kept from an earlier encryption: the one that ends at ciphertext byte `at`. */
export interface CbcChain {
  /** Where the block ends: a multiple of 16, at least 16. */
  at: number;
  /** The 16 bytes of ciphertext before `at`. */
  block: Uint8Array;
}

/**
 * The ciphertext of `file` (AES-CBC with PKCS#7 padding under `key` and `iv`, as `seal` encrypts a
 * file) from byte `offset` of the ciphertext to its end. The chaining block at the last block
 * boundary at or before `offset` comes from encrypting the file up to there again (read as a
 * stream, never held whole), from `chain` on when given; nothing before `offset` is handed out.
 *
 * @param key - An AES-CBC key with usage `encrypt` (it may be non-extractable).
 * @param iv - The 16-byte iv the ciphertext started with.
 * @param file - The plaintext.
 * @param offset - Where to start, in bytes of the ciphertext (`0` to its size, `cbcCiphertextSize(file.size)`).
 * @param chain - A cipher block of this ciphertext kept earlier, ending at or before `offset`: the
 *   encryption again starts there instead of at the file's start. It is trusted: a wrong block
 *   gives a wrong ciphertext.
 * @returns The ciphertext from `offset`, streamed.
 * @throws TypeValidationError when `offset` is not a whole number within the ciphertext, `iv` is
 *   not 16 bytes, or `chain` is not a 16-byte block ending at a multiple of 16 from 16 to `offset`.
 */
export async function cbcEncryptFrom(
  key: CryptoKey,
  iv: Uint8Array,
  file: Blob,
  offset: number,
  chain?: CbcChain,
): Promise<ReadableStream<Uint8Array>> {
  checkIv(iv);
  const total = cbcCiphertextSize(file.size);
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > total) {
    throw new TypeValidationError(`offset must be a whole number from 0 to ${total}`, {
      issues: [{ path: ["offset"], message: `a whole number from 0 to ${total}` }],
    });
  }
  if (offset === total) return new ReadableStream({ start: (controller) => controller.close() });
  const from = offset - (offset % BLOCK); // at most the start of the last (padded) block
  if (chain !== undefined) checkChain(chain, from);
  const before = from === 0 ? iv : await chainingBlock(key, iv, file, from, chain);
  const rest = file.slice(from).stream().pipeThrough(createCbcEncryptStream(key, before));
  return offset === from ? rest : rest.pipeThrough(dropFirst(offset - from));
}

/** Refuses a `chain` that cannot chain into the block at `from`. */
function checkChain(chain: CbcChain, from: number): void {
  const { at, block } = chain;
  if (Number.isSafeInteger(at) && at % BLOCK === 0 && at >= BLOCK && at <= from) {
    if (block instanceof Uint8Array && block.length === BLOCK) return;
  }
  const rule = `a 16-byte block ending at a multiple of 16 from 16 to ${from}`;
  throw new TypeValidationError(`chain must be ${rule}`, { issues: [{ path: ["chain"], message: rule }] });
}

/** The cipher block that ends at `from` (a block boundary past 0): from the start, or from `chain`. */
function chainingBlock(
  key: CryptoKey,
  iv: Uint8Array,
  file: Blob,
  from: number,
  chain: CbcChain | undefined,
): Promise<Uint8Array> {
  if (!chain) return lastCipherBlock(key, iv, file.slice(0, from));
  if (chain.at === from) return Promise.resolve(chain.block);
  return lastCipherBlock(key, chain.block, file.slice(chain.at, from));
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
