/** Byte helpers on `Uint8Array`, for every runtime (no `Buffer`). */

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The UTF-8 encoding of `s`. */
export function utf8Encode(s: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(s);
}

/**
 * The string whose UTF-8 encoding is `b`. A byte order mark is kept as `U+FEFF`.
 * @throws TypeError when `b` is not valid UTF-8.
 */
export function utf8Decode(b: Uint8Array): string {
  return decoder.decode(b);
}

/** The bytes of every part, one after the other, in a new buffer. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/**
 * `b` itself when it is backed by an `ArrayBuffer` (what WebCrypto takes), else a copy that is.
 */
export function toArrayBufferBytes(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b.buffer instanceof ArrayBuffer ? (b as Uint8Array<ArrayBuffer>) : new Uint8Array(b);
}

/** Lowercase hexadecimal of `b`, two characters per byte. */
export function toHex(b: Uint8Array): string {
  return Array.from(b, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * The bytes written in hexadecimal by `s` (either case, even length, nothing else).
 * @throws TypeError when `s` is not hexadecimal.
 */
export function fromHex(s: string): Uint8Array<ArrayBuffer> {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new TypeError("Invalid hexadecimal string");
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}
