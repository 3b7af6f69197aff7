import type { ProgressCallback } from "../types.ts";

/**
 * Wraps a caller's progress callback so that it can never break a write: progress is only
 * observed, so a callback that throws, or returns a promise that rejects, is ignored (an
 * unawaited rejection would otherwise surface as an unhandled rejection).
 */
export function safeProgress(callback: ProgressCallback | undefined): ProgressCallback | undefined {
  if (!callback) return undefined;
  return (sent, total) => {
    try {
      const result: unknown = callback(sent, total);
      if (result instanceof Promise) result.catch(() => {});
    } catch {
      // Progress is informational; the upload goes on.
    }
  };
}
