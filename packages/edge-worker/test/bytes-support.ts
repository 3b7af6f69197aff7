/**
 * Byte helpers for tests that must not load `support.ts` (it scans every answer a file received,
 * and unit tests have none): nothing here has a side effect.
 */

/** `parts` one after another, in one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
