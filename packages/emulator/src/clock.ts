/**
 * A clock that reads `startMs` now and runs forward in real time from there: for replaying
 * requests recorded at `startMs` (their timestamps must fall in the emulator's window), from
 * `createEmulator({ now: clockFrom(t) })` or the CLI's `--clock`.
 */
export const clockFrom = (startMs: number, realNow: () => number = Date.now): (() => number) => {
  const offset = startMs - realNow();
  return () => realNow() + offset;
};

/**
 * Parses a `--clock` value: milliseconds since the epoch, or an ISO 8601 date.
 * @throws {TypeError} when it is neither.
 */
export function parseClockStart(value: string): number {
  const ms = /^\d+$/.test(value.trim()) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new TypeError(`Not a time: ${value} (ms since the epoch or an ISO date)`);
  return ms;
}
