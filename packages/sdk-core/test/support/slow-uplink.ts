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
  /** The size of every body chunk the fetch read, in order, as each starts on its way. */
  chunks: number[];
  /** Runs `call` to its end, moving the fake clock whenever a chunk is on its way; gives real timers back. */
  drive<T>(call: Promise<T>): Promise<T>;
}

/**
 * Fakes `setTimeout`, `clearTimeout` and `Date` until {@link SlowUplink.drive} ends.
 *
 * @param pace - `msPerByte`: how long one byte of the body takes, in fake milliseconds, with
 *   `readAhead` (default 1): how many chunks the fetch reads at once, in a burst, before sending
 *   them one by one (as a runtime does that fills a socket buffer or an HTTP/2 window); or
 *   `unreadMs`: the fetch reads nothing of the body and answers after that long (unless aborted).
 * @param answer - The response, once the whole body was read (or `unreadMs` passed).
 */
export function slowUplink(
  pace: { msPerByte: number; readAhead?: number } | { unreadMs: number },
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
    for (let done = false; !done; ) {
      const burst: number[] = [];
      while (!done && burst.length < (pace.readAhead ?? 1)) {
        const read = await Promise.race([reader.read(), aborted]);
        done = read.done;
        if (read.value) burst.push(read.value.length);
      }
      for (const size of burst) {
        chunks.push(size);
        await Promise.race([new Promise<void>((sent) => sending?.(size * pace.msPerByte, sent)), aborted]);
      }
    }
    return answer();
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
