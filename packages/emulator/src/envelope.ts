import { constants, createDecipheriv, type Decipheriv, type KeyObject, privateDecrypt } from "node:crypto";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const IV_HEX = /^[0-9a-fA-F]{32}$/;

/** Why an envelope could not be opened; the postbox route maps each to its error code. */
export class EnvelopeError extends Error {
  /** Which part of the envelope failed. */
  readonly part: "symmetrical_key" | "iv" | "metadata";
  constructor(part: EnvelopeError["part"], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EnvelopeError";
    this.part = part;
  }
}

/** Decodes standard, padded base64 strictly (Node's decoder would skip bad characters). */
export function decodeBase64Strict(value: string): Buffer | undefined {
  return BASE64.test(value) ? Buffer.from(value, "base64") : undefined;
}

/**
 * Unwraps the AES-256 key of a write: RSAES-OAEP with SHA-1 and MGF1-SHA-1, no label, with the
 * postbox private key.
 * @throws {EnvelopeError} unless the result is exactly 32 bytes.
 */
export function unwrapSymmetricalKey(wrappedBase64: string, postboxPrivateKey: KeyObject): Buffer {
  const wrapped = decodeBase64Strict(wrappedBase64);
  if (!wrapped || wrapped.length === 0) {
    throw new EnvelopeError("symmetrical_key", "symmetrical_key is not base64");
  }
  let key: Buffer;
  try {
    key = privateDecrypt(
      { key: postboxPrivateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" },
      wrapped,
    );
  } catch (cause) {
    throw new EnvelopeError("symmetrical_key", "symmetrical_key does not unwrap with the postbox key", {
      cause,
    });
  }
  if (key.length !== 32) {
    throw new EnvelopeError("symmetrical_key", `symmetrical_key unwraps to ${key.length} bytes, not 32`);
  }
  return key;
}

/**
 * Parses the `iv` claim: 16 bytes as 32 hex characters.
 * @throws {EnvelopeError} for anything else.
 */
export function parseIv(ivHex: string): Buffer {
  if (!IV_HEX.test(ivHex)) throw new EnvelopeError("iv", "iv is not 32 hex characters");
  return Buffer.from(ivHex, "hex");
}

/** An AES-256-CBC decipher (PKCS#7 padding) for the file body; it fails at `final()` on bad input. */
export function createFileDecipher(key: Buffer, iv: Buffer): Decipheriv {
  return createDecipheriv("aes-256-cbc", key, iv);
}

/**
 * Decrypts the `metadata` claim (base64 of AES-256-CBC over UTF-8 JSON) and parses the JSON.
 * @throws {EnvelopeError} when it is not base64, does not decrypt, or is not JSON.
 */
export function decryptMetadata(metadataBase64: string, key: Buffer, iv: Buffer): unknown {
  const data = decodeBase64Strict(metadataBase64);
  if (!data || data.length === 0 || data.length % 16 !== 0) {
    throw new EnvelopeError("metadata", "metadata is not base64 of whole AES blocks");
  }
  let plain: Buffer;
  try {
    const decipher = createFileDecipher(key, iv);
    plain = Buffer.concat([decipher.update(data), decipher.final()]);
  } catch (cause) {
    throw new EnvelopeError("metadata", "metadata does not decrypt with the unwrapped key", { cause });
  }
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plain));
  } catch (cause) {
    throw new EnvelopeError("metadata", "metadata is not UTF-8 JSON", { cause });
  }
}
