/**
 * The envelope of a sealed upload (`POST /api/sealed-files`), as the browser sends it in headers,
 * and the checks the Worker makes on it before anything goes to digi.me: sdk-core's own (its
 * `./internal` subpath), so that the Worker refuses what `sendSealed` would. Pure functions: no
 * Worker API, so the same checks run in Node tests.
 */

import { base64ByteLength, isIvHex } from "@digime-edge/sdk-core/internal";

/** Request headers of a sealed upload. Names are case-insensitive on the wire. */
export const SEALED_HEADERS = {
  /** The AES iv: 16 bytes as 32 lowercase hex characters (the JWT's `iv`). */
  iv: "X-Digime-Iv",
  /** The AES key wrapped with the postbox key (RSA-OAEP), standard padded base64 (`symmetrical_key`). */
  symmetricalKey: "X-Digime-Symmetrical-Key",
  /** The encrypted file descriptor, standard padded base64 (`metadata`). */
  metadata: "X-Digime-Metadata",
  /** The file name, percent-encoded UTF-8 (`encodeURIComponent`); optional. */
  fileName: "X-Digime-File-Name",
} as const;

/** AES block size in bytes. */
export const AES_BLOCK = 16;

/**
 * Longest `X-Digime-Metadata` header, in characters (6 KiB of ciphertext: a descriptor of up to
 * about 6,100 bytes of JSON; a usual one is 100-300). Well under Cloudflare's 128 KB of request
 * headers and the 8 KB per line of common proxies; digi.me gets it again inside the request JWT.
 */
export const MAX_METADATA_HEADER_CHARS = 8192;

/** Longest `X-Digime-File-Name` header, in characters (255 characters percent-encoded as UTF-8). */
export const MAX_FILE_NAME_HEADER_CHARS = 255 * 12;

/** Why a sealed envelope was refused: the error code and a message that never echoes a value. */
export interface EnvelopeProblem {
  /** Refused. */
  ok: false;
  /** `BAD_IV`, `BAD_SYMMETRICAL_KEY`, `BAD_METADATA` or `BAD_FILE_NAME`. */
  code: "BAD_IV" | "BAD_SYMMETRICAL_KEY" | "BAD_METADATA" | "BAD_FILE_NAME";
  /** What is wrong, for the 400's message. */
  message: string;
}

/** A sealed envelope whose shapes checked out. */
export interface SealedEnvelope {
  /** Accepted. */
  ok: true;
  /** 32 lowercase hex characters. */
  iv: string;
  /** Standard padded base64 of the wrapped key. */
  symmetricalKey: string;
  /** Size of the wrapped key in bytes: must equal the postbox key's modulus size. */
  wrappedKeyBytes: number;
  /** Standard padded base64 of a whole number of AES blocks. */
  metadata: string;
  /** The file name as decoded (not yet sanitised), or `undefined` when none was sent. */
  fileName: string | undefined;
}

/** Wrapped keys of RSA moduli from 1024 to 8192 bits. */
const WRAPPED_KEY_BYTES = { min: 128, max: 1024 };

/**
 * Checks the envelope headers of a sealed upload: `iv` is 16 bytes in lowercase hex, the wrapped
 * key standard base64 of an RSA-sized value (its exact size is checked against the postbox key
 * later), `metadata` standard base64 of a non-empty whole number of AES blocks and not too long,
 * and the file name (optional) valid percent-encoded UTF-8.
 *
 * @param get - Reads a request header by name (e.g. `(name) => request.headers.get(name)`).
 * @returns The envelope, or the first problem found.
 */
export function parseSealedEnvelope(
  get: (name: string) => string | null | undefined,
): SealedEnvelope | EnvelopeProblem {
  const iv = get(SEALED_HEADERS.iv)?.trim();
  if (!iv) return problem("BAD_IV", `send the iv in ${SEALED_HEADERS.iv}`);
  if (iv.length !== 32) return problem("BAD_IV", "the iv must be 16 bytes (32 hex characters)");
  if (!isIvHex(iv)) return problem("BAD_IV", "the iv must be lowercase hexadecimal");

  const symmetricalKey = get(SEALED_HEADERS.symmetricalKey)?.trim();
  if (!symmetricalKey) {
    return problem("BAD_SYMMETRICAL_KEY", `send the wrapped key in ${SEALED_HEADERS.symmetricalKey}`);
  }
  const wrappedKeyBytes =
    symmetricalKey.length <= 4 * WRAPPED_KEY_BYTES.max ? base64ByteLength(symmetricalKey) : undefined;
  if (wrappedKeyBytes === undefined) {
    return problem("BAD_SYMMETRICAL_KEY", "the wrapped key must be standard padded base64");
  }
  if (wrappedKeyBytes < WRAPPED_KEY_BYTES.min || wrappedKeyBytes > WRAPPED_KEY_BYTES.max) {
    return problem("BAD_SYMMETRICAL_KEY", "the wrapped key is not the size of an RSA key");
  }

  const metadata = get(SEALED_HEADERS.metadata)?.trim();
  if (!metadata)
    return problem("BAD_METADATA", `send the encrypted descriptor in ${SEALED_HEADERS.metadata}`);
  if (metadata.length > MAX_METADATA_HEADER_CHARS) {
    return problem("BAD_METADATA", `the metadata is longer than ${MAX_METADATA_HEADER_CHARS} characters`);
  }
  const metadataBytes = base64ByteLength(metadata);
  if (metadataBytes === undefined)
    return problem("BAD_METADATA", "the metadata must be standard padded base64");
  if (metadataBytes === 0 || metadataBytes % AES_BLOCK !== 0) {
    return problem("BAD_METADATA", "the metadata must be a whole number of 16-byte AES blocks");
  }

  const name = parseFileNameHeader(get(SEALED_HEADERS.fileName));
  if (!name.ok) return name;
  return { ok: true, iv, symmetricalKey, wrappedKeyBytes, metadata, fileName: name.fileName };
}

/**
 * Decodes an `X-Digime-File-Name` header (sealed and raw uploads): percent-encoded UTF-8, at most
 * {@link MAX_FILE_NAME_HEADER_CHARS} characters; absent or empty is no name.
 *
 * @param raw - The header's value.
 * @returns The name as decoded (not yet sanitised), or `BAD_FILE_NAME`.
 */
export function parseFileNameHeader(
  raw: string | null | undefined,
): { ok: true; fileName: string | undefined } | EnvelopeProblem {
  if (raw === null || raw === undefined || raw === "") return { ok: true, fileName: undefined };
  if (raw.length > MAX_FILE_NAME_HEADER_CHARS) return problem("BAD_FILE_NAME", "the file name is too long");
  try {
    return { ok: true, fileName: decodeURIComponent(raw) };
  } catch {
    return problem("BAD_FILE_NAME", "the file name must be percent-encoded UTF-8 (encodeURIComponent)");
  }
}

/**
 * Largest sealed body for a file limit: the ciphertext of a file of `maxFileBytes`, i.e. the limit
 * rounded down to whole blocks plus one block of PKCS#7 padding.
 *
 * @param maxFileBytes - `MAX_UPLOAD_BYTES`.
 */
export function maxSealedBodyBytes(maxFileBytes: number): number {
  return maxFileBytes - (maxFileBytes % AES_BLOCK) + AES_BLOCK;
}

/**
 * Whether `bytes` can be the length of a sealed body: AES-CBC with PKCS#7 padding always gives a
 * non-empty whole number of blocks.
 *
 * @param bytes - The body's length.
 */
export function isSealedBodyLength(bytes: number): boolean {
  return Number.isSafeInteger(bytes) && bytes > 0 && bytes % AES_BLOCK === 0;
}

function problem(code: EnvelopeProblem["code"], message: string): EnvelopeProblem {
  return { ok: false, code, message };
}
