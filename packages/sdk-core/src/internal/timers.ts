/** The timers of a request: an idle timeout that progress restarts, and an abortable sleep. */

/**
 * A timeout that fires after `ms` without a `touch()`; `touch(extra)` also grants `extra` ms more.
 * Grants add up: chunks a runtime reads ahead in a burst each keep their time for the drain after.
 */
export function idleTimer(
  ms: number,
  onIdle: () => void,
): { touch: (extra?: number) => void; stop: () => void } {
  let last = Date.now();
  let handle: ReturnType<typeof setTimeout> | undefined;
  const arm = (delay: number) => {
    handle = setTimeout(() => {
      const idle = Date.now() - last;
      if (idle >= ms) onIdle();
      else arm(ms - idle);
    }, delay);
  };
  arm(ms);
  return {
    touch: (extra = 0) => {
      last = Math.max(last, Date.now()) + extra;
    },
    stop: () => clearTimeout(handle),
  };
}

/** Waits `ms`; returns `true` at once when `signal` is (or becomes) aborted, `false` after the wait. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(true);
    const onAbort = () => {
      clearTimeout(handle);
      resolve(true);
    };
    const handle = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(false);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
