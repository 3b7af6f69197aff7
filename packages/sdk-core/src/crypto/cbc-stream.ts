/**
 * AES-CBC with PKCS#7 padding on WebCrypto, one-shot or as a stream: the public forms, which check
 * their arguments. The encryption itself (and how the stream chains chunks) is in
 * `internal/cbc.ts`.
 */
import { TypeValidationError } from "../errors.ts";
import {
  BLOCK,
  cbcEncryptStreamUnchecked,
  cbcEncryptUnchecked,
  DEFAULT_CHUNK_SIZE,
} from "../internal/cbc.ts";

/** Options of {@link createCbcEncryptStream}. */
export interface CbcEncryptStreamOptions {
  /**
   * Bytes encrypted per WebCrypto call (rounded down to whole blocks, at least one block).
   * Larger chunks mean fewer calls and more memory. Default 1 MiB.
   */
  chunkSize?: number;
}

/**
 * Checks that `iv` is a 16-byte AES-CBC iv and returns a copy of it.
 * @throws TypeValidationError (issue at `iv`) when it is not 16 bytes.
 */
export function checkIv(iv: Uint8Array): Uint8Array<ArrayBuffer> {
  if (!(iv instanceof Uint8Array) || iv.length !== BLOCK) {
    throw new TypeValidationError("AES-CBC iv must be 16 bytes", {
      issues: [{ path: ["iv"], message: "16 bytes" }],
    });
  }
  return new Uint8Array(iv);
}

/** Size of the AES-CBC ciphertext (PKCS#7 padded) of `plainSize` bytes: `(floor(n/16)+1)*16`. */
export function cbcCiphertextSize(plainSize: number): number {
  if (!Number.isSafeInteger(plainSize) || plainSize < 0) {
    throw new RangeError("cbcCiphertextSize: plainSize must be a non-negative integer");
  }
  return (Math.floor(plainSize / BLOCK) + 1) * BLOCK;
}

/**
 * Encrypts `data` in one call: AES-CBC with PKCS#7 padding.
 * @param key An AES-CBC key with usage `encrypt`.
 * @param iv 16 bytes.
 */
export async function encryptCbc(
  key: CryptoKey,
  iv: Uint8Array,
  data: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  return cbcEncryptUnchecked(key, checkIv(iv), data);
}

/**
 * A stream that encrypts what is written to it with AES-CBC and PKCS#7 padding, as it flows: it
 * holds at most one chunk of plaintext, never the whole input. Input chunks of at least `chunkSize`
 * bytes are encrypted in place, without a copy. Output chunks are whole blocks, the last one padded.
 * @param key An AES-CBC key with usage `encrypt`.
 * @param iv 16 bytes.
 */
export function createCbcEncryptStream(
  key: CryptoKey,
  iv: Uint8Array,
  options: CbcEncryptStreamOptions = {},
): TransformStream<Uint8Array, Uint8Array> {
  const { chunkSize = DEFAULT_CHUNK_SIZE } = options;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < BLOCK) {
    throw new TypeValidationError("chunkSize must be an integer of at least 16", {
      issues: [{ path: ["chunkSize"], message: "an integer of at least 16" }],
    });
  }
  return cbcEncryptStreamUnchecked(key, checkIv(iv), chunkSize - (chunkSize % BLOCK));
}
