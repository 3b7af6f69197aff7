/**
 * Fake `setTimeout` for tests of waits: they assert the delay the SDK asks for and move time by
 * hand, instead of measuring how long a call took.
 */
import { vi } from "vitest";

/** How long (real time) {@link FakeSleeps.asked} waits for a timer before it fails. */
const ASK_BOUND_MS = 10_000;

/** The fake timers of one test (see {@link fakeSleeps}). */
export interface FakeSleeps {
  /**
   * Waits until the code under test asks for a timer of `ms` (one asked after the previous match);
   * fails after {@link ASK_BOUND_MS} of real time without one.
   */
  asked(ms: number): Promise<void>;
  /** Moves the fake time forward by `ms`, running the timers that come due. */
  advance(ms: number): Promise<void>;
  /** Gives the real timers back. */
  restore(): void;
}

/**
 * Fakes `setTimeout` and `clearTimeout` only: `Date`, `setImmediate` and the network keep real
 * time, so a request's JWT timestamp and a local test server still work. Call `restore` in a
 * `finally`.
 */
export function fakeSleeps(): FakeSleeps {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  const spy = vi.spyOn(globalThis, "setTimeout");
  let next = 0;
  const find = (ms: number) => spy.mock.calls.findIndex((call, i) => i >= next && call[1] === ms);
  return {
    async asked(ms) {
      const deadline = performance.now() + ASK_BOUND_MS;
      while (find(ms) < 0) {
        if (performance.now() > deadline) {
          const delays = spy.mock.calls.map((call) => call[1]);
          throw new Error(`no timer of ${ms} ms was asked for (asked: ${delays.join(", ")})`);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      next = find(ms) + 1;
    },
    advance: async (ms) => {
      await vi.advanceTimersByTimeAsync(ms);
    },
    restore() {
      spy.mockRestore();
      vi.useRealTimers();
    },
  };
}
