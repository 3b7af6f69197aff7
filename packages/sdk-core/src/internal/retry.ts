/** When to try a request again: the statuses worth a retry, backoff with full jitter, `Retry-After`. */

/** Whether an answer of `status` may succeed when sent again: 429 and a gateway's 502, 503, 504. */
export function isRetryStatus(status: number): boolean {
  return [429, 502, 503, 504].includes(status);
}

/** How long to wait and how often to try again (see `RetryOptions`, all members given). */
export interface RetrySettings {
  limit: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
  resendWhenUnknown: boolean;
}

/**
 * Milliseconds to wait as a `Retry-After` value says (delay-seconds or an HTTP date), or
 * `undefined` when it says neither.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Full-jitter backoff before retry number `retry` (1 for the first retry). */
export function backoffDelay(retry: number, settings: RetrySettings, random = Math.random): number {
  return Math.floor(random() * Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (retry - 1)));
}
