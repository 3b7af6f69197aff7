/** One user's rate budget: a token bucket shared by uploads and calls. */
import type { ApiFailure } from "./digime.ts";

/** A token bucket of `ratePerMinute`, refilled continuously, full at first. */
export class RateBudget {
  #bucket = { tokens: Number.NaN, at: 0 };

  /**
   * Takes one from the budget.
   *
   * @param ratePerMinute - The per-minute budget (the Worker's setting).
   * @returns Nothing when admitted, else the 429 `RATE_LIMITED` failure.
   */
  spend(ratePerMinute: number): ({ ok: false } & ApiFailure) | undefined {
    const wait = this.#take(ratePerMinute);
    if (wait === 0) return undefined;
    return {
      ok: false,
      status: 429,
      code: "RATE_LIMITED",
      message: `at most ${ratePerMinute} uploads and calls a minute; try again in ${wait} s`,
      retryAfter: wait,
    };
  }

  /** 0 when admitted, else whole seconds until the next slot. */
  #take(ratePerMinute: number): number {
    const now = Date.now();
    const perMs = ratePerMinute / 60_000;
    const tokens = Number.isNaN(this.#bucket.tokens)
      ? ratePerMinute
      : Math.min(ratePerMinute, this.#bucket.tokens + (now - this.#bucket.at) * perMs);
    if (tokens >= 1) {
      this.#bucket = { tokens: tokens - 1, at: now };
      return 0;
    }
    this.#bucket = { tokens, at: now };
    return Math.max(1, Math.ceil((1 - tokens) / perMs / 1000));
  }
}
