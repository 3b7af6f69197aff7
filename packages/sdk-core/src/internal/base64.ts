/**
 * Base64 (RFC 4648 section 4, padded) and base64url (section 5, unpadded), strict both ways:
 * decoding refuses any character outside the alphabet, wrong padding, whitespace and non-zero
 * trailing bits, so every byte string has exactly one accepted encoding.
 */

const STANDARD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const PAD = 61; // "="
// Output is built as ASCII bytes and decoded once: linear, and no huge argument lists.
const ascii = new TextDecoder();

function codes(alphabet: string): Uint8Array {
  const out = new Uint8Array(64);
  for (let i = 0; i < 64; i++) out[i] = alphabet.charCodeAt(i);
  return out;
}

function lookup(alphabet: string): Int16Array {
  const out = new Int16Array(256).fill(-1);
  for (let i = 0; i < 64; i++) out[alphabet.charCodeAt(i)] = i;
  return out;
}

const STANDARD_CODES = codes(STANDARD);
const URL_CODES = codes(URL_SAFE);
const STANDARD_LOOKUP = lookup(STANDARD);
const URL_LOOKUP = lookup(URL_SAFE);

function encode(b: Uint8Array, alphabet: Uint8Array, pad: boolean): string {
  const full = b.length - (b.length % 3);
  const rest = b.length - full;
  const outLength = (full / 3) * 4 + (rest === 0 ? 0 : pad ? 4 : rest + 1);
  const out = new Uint8Array(outLength);
  let o = 0;
  for (let i = 0; i < full; i += 3) {
    const n = ((b[i] as number) << 16) | ((b[i + 1] as number) << 8) | (b[i + 2] as number);
    out[o++] = alphabet[n >>> 18] as number;
    out[o++] = alphabet[(n >>> 12) & 63] as number;
    out[o++] = alphabet[(n >>> 6) & 63] as number;
    out[o++] = alphabet[n & 63] as number;
  }
  if (rest > 0) {
    const n = ((b[full] as number) << 16) | (rest === 2 ? (b[full + 1] as number) << 8 : 0);
    out[o++] = alphabet[n >>> 18] as number;
    out[o++] = alphabet[(n >>> 12) & 63] as number;
    if (rest === 2) out[o++] = alphabet[(n >>> 6) & 63] as number;
    else if (pad) out[o++] = PAD;
    if (pad) out[o++] = PAD;
  }
  return ascii.decode(out);
}

function decode(s: string, table: Int16Array, padded: boolean, name: string): Uint8Array<ArrayBuffer> {
  if (typeof s !== "string") throw new TypeError(`Invalid ${name}: not a string`);
  let length = s.length;
  if (padded) {
    if (length % 4 !== 0) throw new TypeError(`Invalid ${name}: length is not a multiple of 4`);
    if (length > 0 && s.charCodeAt(length - 1) === PAD) length--;
    if (length > 0 && length % 4 === 3 && s.charCodeAt(length - 1) === PAD) length--;
  }
  const rest = length % 4;
  if (rest === 1) throw new TypeError(`Invalid ${name}: impossible length`);
  const full = length - rest;
  const out = new Uint8Array((full / 4) * 3 + (rest === 0 ? 0 : rest - 1));
  let o = 0;
  let bad = 0;
  for (let i = 0; i < full; i += 4) {
    const a = table[s.charCodeAt(i)] ?? -1;
    const b = table[s.charCodeAt(i + 1)] ?? -1;
    const c = table[s.charCodeAt(i + 2)] ?? -1;
    const d = table[s.charCodeAt(i + 3)] ?? -1;
    bad |= a | b | c | d;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 255;
    out[o++] = n & 255;
  }
  if (rest > 0) {
    const a = table[s.charCodeAt(full)] ?? -1;
    const b = table[s.charCodeAt(full + 1)] ?? -1;
    const c = rest === 3 ? (table[s.charCodeAt(full + 2)] ?? -1) : 0;
    if ((a | b | c) < 0) throw new TypeError(`Invalid ${name}: character outside the alphabet`);
    // The bits past the last whole byte must be zero, or two encodings would decode alike.
    if ((rest === 2 ? b & 15 : c & 3) !== 0) throw new TypeError(`Invalid ${name}: non-zero trailing bits`);
    const n = (a << 18) | (b << 12) | (c << 6);
    out[o++] = n >>> 16;
    if (rest === 3) out[o++] = (n >>> 8) & 255;
  }
  // A negative entry (not in the alphabet, or a code unit above 255) sets the sign bit.
  if (bad < 0) throw new TypeError(`Invalid ${name}: character outside the alphabet`);
  return out;
}

/** Standard base64 of `b`, with `=` padding. */
export function encodeBase64(b: Uint8Array): string {
  return encode(b, STANDARD_CODES, true);
}

/**
 * The bytes of standard, padded base64 `s`.
 * @throws TypeError on any character outside the alphabet, whitespace, wrong padding or length.
 */
export function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  return decode(s, STANDARD_LOOKUP, true, "base64");
}

/** Base64url of `b`, without padding (RFC 7515). */
export function encodeBase64Url(b: Uint8Array): string {
  return encode(b, URL_CODES, false);
}

/**
 * The bytes of unpadded base64url `s`.
 * @throws TypeError on any character outside the alphabet (including `=`), or a wrong length.
 */
export function decodeBase64Url(s: string): Uint8Array<ArrayBuffer> {
  return decode(s, URL_LOOKUP, false, "base64url");
}
