/** Random bytes and nonces from `crypto.getRandomValues`. */

// getRandomValues refuses more than 65536 bytes per call.
const MAX_PER_CALL = 65536;
// The largest multiple of 62 not above 256: bytes from 248 up are dropped, so no symbol is favoured.
const NONCE_LIMIT = 248;

/** Symbol `i` (0 to 61) of `[A-Za-z0-9]`, in that order. */
function nonceSymbol(i: number): string {
  return String.fromCharCode(i + (i < 26 ? 65 : i < 52 ? 71 : -4));
}

function checkCount(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer`);
}

/**
 * `n` cryptographically random bytes.
 * @throws RangeError when `n` is not a non-negative safe integer.
 */
export function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  checkCount(n, "randomBytes: n");
  const out = new Uint8Array(n);
  for (let offset = 0; offset < n; offset += MAX_PER_CALL) {
    crypto.getRandomValues(out.subarray(offset, offset + MAX_PER_CALL));
  }
  return out;
}

/**
 * A string of `length` characters drawn uniformly and independently from `[A-Za-z0-9]`
 * (rejection sampling), as the request JWTs' `nonce` claim needs.
 * @throws RangeError when `length` is not a non-negative safe integer.
 */
export function randomNonce(length = 32): string {
  checkCount(length, "randomNonce: length");
  let out = "";
  while (out.length < length) {
    // About 3% of bytes are rejected; ask for a little more than needed.
    // At most a few hundred bytes at a time: within one getRandomValues call.
    const bytes = crypto.getRandomValues(
      new Uint8Array(Math.min(Math.ceil((length - out.length) * 1.1) + 4, 1024)),
    );
    for (const byte of bytes) {
      if (byte < NONCE_LIMIT && out.length < length) out += nonceSymbol(byte % 62);
    }
  }
  return out;
}
