/** Random bytes and nonces from `crypto.getRandomValues`. */

// getRandomValues refuses more than 65536 bytes per call.
const MAX_PER_CALL = 65536;
const NONCE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
// The largest multiple of 62 not above 256: bytes from 248 up are dropped, so no symbol is favoured.
const NONCE_LIMIT = 256 - (256 % NONCE_ALPHABET.length);

/**
 * `n` cryptographically random bytes.
 * @throws RangeError when `n` is not a non-negative safe integer.
 */
export function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError("randomBytes: n must be a non-negative integer");
  }
  const out = new Uint8Array(n);
  for (let offset = 0; offset < n; offset += MAX_PER_CALL) {
    crypto.getRandomValues(out.subarray(offset, Math.min(n, offset + MAX_PER_CALL)));
  }
  return out;
}

/**
 * A string of `length` characters drawn uniformly and independently from `[A-Za-z0-9]`
 * (rejection sampling), as the request JWTs' `nonce` claim needs.
 * @throws RangeError when `length` is not a non-negative safe integer.
 */
export function randomNonce(length = 32): string {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RangeError("randomNonce: length must be a non-negative integer");
  }
  let out = "";
  while (out.length < length) {
    // About 3% of bytes are rejected; ask for a little more than needed.
    const bytes = randomBytes(Math.ceil((length - out.length) * 1.1) + 4);
    for (let i = 0; i < bytes.length && out.length < length; i++) {
      const byte = bytes[i] as number;
      if (byte < NONCE_LIMIT) out += NONCE_ALPHABET[byte % NONCE_ALPHABET.length];
    }
  }
  return out;
}
