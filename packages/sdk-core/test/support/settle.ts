/** Waiting for a count that the code under test moves on its own (a stream's pulls) to stop moving. */

/** Real time {@link settledCount} waits at most before it fails. */
const SETTLE_BOUND_MS = 10_000;

/**
 * Returns `read()` once it has stopped changing: the same value over `turns` checks in a row, each
 * after a macrotask and a WebCrypto call (so that the code's own pending WebCrypto work has had its
 * turn). Returns at once when the value passes `limit` (the caller's assertion then fails, instead
 * of waiting for a count that never stops); throws when it never settles within 10 s.
 */
export async function settledCount(read: () => number, limit: number, turns = 10): Promise<number> {
  const deadline = performance.now() + SETTLE_BOUND_MS;
  let value = read();
  for (let same = 0; same < turns; ) {
    if (value > limit) return value;
    if (performance.now() > deadline) throw new Error(`the count did not settle (now ${value})`);
    await new Promise((resolve) => setImmediate(resolve));
    await crypto.subtle.digest("SHA-256", new Uint8Array(16));
    const next = read();
    same = next === value ? same + 1 : 0;
    value = next;
  }
  return value;
}
