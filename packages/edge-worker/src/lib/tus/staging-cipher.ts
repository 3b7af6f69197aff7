/**
 * Encryption of a plain upload's staged pieces (R2 parts and the tail between PATCHes) with the
 * upload's own AES-256-GCM key, which only the user's Durable Object stores. Each piece is
 * `iv (12 bytes, random) || ciphertext || tag (16 bytes)`, its position bound in as additional
 * data, so that pieces cannot be swapped or altered in R2 without decryption failing.
 *
 * GCM rather than CTR or CBC: it authenticates (a changed staged byte fails, it is never
 * delivered), and WebCrypto encrypts a bounded piece (a part, 5 MiB) in one native call. A random
 * iv per piece, not a counter: a part number can be written twice (a PATCH cut off after R2 took
 * the part), and a counter would then reuse a nonce.
 */
import { concatBytes } from "@digime-edge/sdk-core/internal";

/** Bytes a piece grows by: the iv and the tag. */
export const SEAL_OVERHEAD = 12 + 16;

/** A fresh upload key, raw (for the Durable Object to store). */
export function newStagingKey(): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(32));
}

/**
 * The upload key as a WebCrypto key.
 *
 * @param raw - The 32 bytes the Durable Object stores.
 */
export function importStagingKey(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

const encoder = new TextEncoder();

/**
 * Encrypts one staged piece.
 *
 * @param key - The upload key.
 * @param plain - The piece's plaintext.
 * @param where - Its position (e.g. `part:3`), bound in as additional data.
 */
export async function sealPiece(
  key: CryptoKey,
  plain: Uint8Array<ArrayBuffer>,
  where: string,
): Promise<Uint8Array<ArrayBuffer>> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(where) },
    key,
    plain,
  );
  return concatBytes(iv, new Uint8Array(sealed));
}

/**
 * Decrypts one staged piece; throws when it was altered or belongs elsewhere.
 *
 * @param key - The upload key.
 * @param piece - `iv || ciphertext || tag`.
 * @param where - The position it was sealed for.
 */
export async function openPiece(
  key: CryptoKey,
  piece: Uint8Array<ArrayBuffer>,
  where: string,
): Promise<Uint8Array<ArrayBuffer>> {
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: piece.subarray(0, 12), additionalData: encoder.encode(where) },
    key,
    piece.subarray(12),
  );
  return new Uint8Array(plain);
}
