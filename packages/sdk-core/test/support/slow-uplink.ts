/**
 * A fetch that sends request bodies over a slow uplink in fake time: it reads the body chunk by
 * chunk, as a runtime does (the next chunk once the previous one went out), and each chunk takes
 * the fake time its size takes at the uplink's rate. The clock moves only while a chunk is on its
 * way, so the real time the SDK spends between two chunks (encryption, a pull) counts for nothing.
 */
import { vi } from "vitest";

/** A fake uplink and the fetch that uses it (see {@link slowUplink}). */
export interface SlowUplink {
  fetch: typeof fetch;
  /** The size of every body chunk the fetch read, in order. */
  chunks: number[];
  /** Runs `call` to its end, moving the fake clock whenever a chunk is on its way; gives real timers back. */
  drive<T>(call: Promise<T>): Promise<T>;
}

/**
 * Fakes `setTimeout`, `clearTimeout` and `Date` until {@link SlowUplink.drive} ends.
 *
 * @param pace - `msPerByte`: how long one byte of the body takes, in fake milliseconds; or
 *   `unreadMs`: the fetch reads nothing of the body and answers after that long (unless aborted).
 * @param answer - The response, once the whole body was read (or `unreadMs` passed).
 */
export function slowUplink(
  pace: { msPerByte: number } | { unreadMs: number },
  answer: () => Response,
): SlowUplink {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  const chunks: number[] = [];
  // The chunk on its way: its fake duration, and what lets the fetch go on once it is over.
  let sending: ((ms: number, sent: () => void) => void) | undefined;
  const next = () =>
    new Promise<[number, () => void]>((resolve) => {
      sending = (ms, sent) => resolve([ms, sent]);
    });
  let onItsWay = next();
  const fetch = (async (_url: string, init: RequestInit) => {
    const { signal } = init;
    const aborted = new Promise<never>((_, reject) => {
      if (signal?.aborted) reject(signal.reason);
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    if ("unreadMs" in pace) {
      await Promise.race([new Promise<void>((sent) => sending?.(pace.unreadMs, sent)), aborted]);
      return answer();
    }
    const reader = (init.body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), aborted]);
      if (done) return answer();
      chunks.push(value.length);
      await Promise.race([
        new Promise<void>((sent) => sending?.(value.length * pace.msPerByte, sent)),
        aborted,
      ]);
    }
  }) as unknown as typeof globalThis.fetch;
  return {
    fetch,
    chunks,
    async drive(call) {
      let settled = false;
      const outcome = call.finally(() => {
        settled = true;
      });
      outcome.catch(() => {}); // awaited below
      try {
        for (;;) {
          const step = await Promise.race([onItsWay, outcome]);
          if (settled) return await outcome;
          const [ms, sent] = step as [number, () => void];
          onItsWay = next();
          await vi.advanceTimersByTimeAsync(ms);
          sent();
        }
      } finally {
        vi.useRealTimers();
      }
    },
  };
}
