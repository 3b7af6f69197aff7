/**
 * Base64 (RFC 4648 section 4, padded) and base64url (section 5, unpadded), strict both ways:
 * decoding refuses any character outside the alphabet, wrong padding, whitespace and non-zero
 * trailing bits, so every byte string has exactly one accepted encoding.
 *
 * Built on `btoa` / `atob`, which every supported runtime has. `atob` is lenient (it skips
 * whitespace, takes missing padding and ignores trailing bits), so a decoded value is accepted
 * only when encoding it again gives the input back: that one test covers every rule above.
 */

// `String.fromCharCode` takes the bytes as arguments: a bounded number per call (`apply`, which is
// much faster than a spread here).
const CHUNK = 8192;

function encode(b: Uint8Array, url: boolean): string {
  const parts: string[] = [];
  for (let i = 0; i < b.length; i += CHUNK) {
    // A plain view, also of a Node Buffer (whose own views are much slower to read this way).
    const view = new Uint8Array(b.buffer, b.byteOffset + i, Math.min(CHUNK, b.length - i));
    parts.push(String.fromCharCode.apply(null, view as unknown as number[]));
  }
  const s = btoa(parts.join(""));
  return url ? s.replace(/[+/=]/g, (c) => (c === "+" ? "-" : c === "/" ? "_" : "")) : s;
}

// A value that is not a string fails the final comparison (or `replace`).
function decode(s: string, url: boolean): Uint8Array<ArrayBuffer> {
  let out: Uint8Array<ArrayBuffer> | undefined;
  try {
    const binary = atob(url ? s.replace(/[-_]/g, (c) => (c === "-" ? "+" : "/")) : s);
    out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  } catch {
    // atob's own error (InvalidCharacterError) says no more than ours.
  }
  if (out === undefined || encode(out, url) !== s) {
    throw new TypeError(`Invalid ${url ? "base64url" : "base64"}`);
  }
  return out;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The number of bytes standard, padded base64 `s` decodes to, without decoding it; `undefined`
 * when `s` is not that (a character outside the alphabet, whitespace, wrong padding or length).
 * Spare bits of the last character are not looked at: {@link decodeBase64} refuses them too.
 */
export function base64ByteLength(s: string): number | undefined {
  if (!BASE64.test(s)) return undefined;
  return (s.length / 4) * 3 - (s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0);
}

/** Standard base64 of `b`, with `=` padding. */
export function encodeBase64(b: Uint8Array): string {
  return encode(b, false);
}

/**
 * The bytes of standard, padded base64 `s`.
 * @throws TypeError on any character outside the alphabet, whitespace, wrong padding or length.
 */
export function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  return decode(s, false);
}

/** Base64url of `b`, without padding (RFC 7515). */
export function encodeBase64Url(b: Uint8Array): string {
  return encode(b, true);
}

/**
 * The bytes of unpadded base64url `s`.
 * @throws TypeError on any character outside the alphabet (including `=`), or a wrong length.
 */
export function decodeBase64Url(s: string): Uint8Array<ArrayBuffer> {
  return decode(s, true);
}
