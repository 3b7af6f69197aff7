/**
 * A `fetch` for sdk-core's `init({ fetch })` that sends with the real one and records each attempt
 * and how it ended: answered (its status, and for a write whether it said `delivered`) or with no
 * answer (the promise rejected: a cut connection, a timeout, a refused connection). A write attempt
 * that got no answer may or may not have been stored; one that was answered tells.
 */
export interface Attempt {
  url: string;
  method: string;
  /** `answered` when a status came back and its body could be read. */
  outcome: "answered" | "no-answer" | "in-flight";
  status?: number;
  /** For a write: the answer's `status` field. */
  writeStatus?: string;
  error?: unknown;
}

export interface RecordingFetch {
  fetch: typeof fetch;
  attempts: Attempt[];
  /** Called with each answered attempt before sdk-core sees the answer (to act "between attempts"). */
  onAnswer: ((attempt: Attempt) => void | Promise<void>) | undefined;
}

export const isWrite = (a: Attempt) => a.url.includes("/permission-access/postbox/");
export const isToken = (a: Attempt) => a.url.endsWith("/oauth/token");

export function recordingFetch(): RecordingFetch {
  const recorder: RecordingFetch = {
    attempts: [],
    onAnswer: undefined,
    fetch: async (input, init) => {
      const attempt: Attempt = {
        url: input instanceof Request ? input.url : String(input),
        method: init?.method ?? "GET",
        outcome: "in-flight",
      };
      recorder.attempts.push(attempt);
      let response: Response;
      try {
        response = await fetch(input, init);
      } catch (error) {
        attempt.outcome = "no-answer";
        attempt.error = error;
        throw error;
      }
      attempt.status = response.status;
      try {
        const text = await response.clone().text();
        attempt.outcome = "answered";
        if (isWrite(attempt)) {
          try {
            attempt.writeStatus = (JSON.parse(text) as { status?: string }).status;
          } catch {
            // Not JSON: an error page.
          }
        }
      } catch (error) {
        attempt.outcome = "no-answer";
        attempt.error = error;
      }
      await recorder.onAnswer?.(attempt);
      return response;
    },
  };
  return recorder;
}
