/**
 * What every call of the typed client shares: its error ({@link EdgeClientError}), reading the
 * Worker's answers, and sending the session cookie.
 */
import type { ApiErrorCode } from "./errors.ts";

/**
 * The code of an {@link EdgeClientError}: the Worker's own ({@link ApiErrorCode}), or the client's
 * (`NETWORK`: no answer from the Worker; `ABORTED`; `HTTP_ERROR`: an answer that is not the
 * Worker's JSON; `SEAL_FAILED`; `UNSUPPORTED`).
 */
export type EdgeErrorCode =
  | ApiErrorCode
  | "NETWORK"
  | "ABORTED"
  | "HTTP_ERROR"
  | "SEAL_FAILED"
  | "UNSUPPORTED"
  | (string & {});

/** An error answer of the Worker (`{ error: { code, message } }`), or a failed request. */
export class EdgeClientError extends Error {
  /** HTTP status, or 0 when the request got no answer. */
  readonly status: number;
  /** The Worker's error code (`NETWORK` when the request got no answer, `ABORTED` when cancelled). */
  readonly code: EdgeErrorCode;
  /** Seconds to wait before trying again, when the Worker said so. */
  readonly retryAfter: number | undefined;
  /**
   * The file may be in the library although the upload failed: `DIGIME_OUTCOME_UNKNOWN` (digi.me
   * got it and its answer was lost), or `NETWORK` after the whole request body was sent (the
   * Worker's answer was lost). Neither the Worker nor this client sends it again by itself: do so
   * only if a second copy is acceptable (or check the library first).
   */
  readonly mayHaveArrived: boolean;

  /**
   * @param status - HTTP status, or 0 when the request got no answer.
   * @param code - The Worker's error code, or `NETWORK` / `ABORTED`.
   * @param message - A message for people.
   * @param retryAfter - Seconds from the answer's `Retry-After`, when it had one.
   * @param options - `mayHaveArrived`: the request's body was sent before its answer was lost
   *   (always so for `DIGIME_OUTCOME_UNKNOWN`).
   */
  constructor(
    status: number,
    code: EdgeErrorCode,
    message: string,
    retryAfter?: number,
    options: { mayHaveArrived?: boolean } = {},
  ) {
    super(message);
    this.name = "EdgeClientError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
    this.mayHaveArrived = code === "DIGIME_OUTCOME_UNKNOWN" || options.mayHaveArrived === true;
  }
}

/**
 * The {@link EdgeClientError} of an answer that is not a success.
 *
 * @param status - Its HTTP status.
 * @param text - Its body.
 * @param retryAfter - Its `Retry-After` header.
 */
export function toError(status: number, text: string, retryAfter: string | null): EdgeClientError {
  let code = "HTTP_ERROR";
  let message = `the Worker answered HTTP ${status}`;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === "string") code = body.error.code;
    if (typeof body.error?.message === "string") message = body.error.message;
  } catch {
    // not JSON: keep the generic message
  }
  const seconds = retryAfter === null ? undefined : Number(retryAfter);
  return new EdgeClientError(status, code, message, Number.isFinite(seconds) ? seconds : undefined);
}

/**
 * The `NETWORK` error of an upload that got no answer from the Worker.
 *
 * @param bodySent - Whether the whole request body had been sent (or may have been: the client
 *   cannot see it): then the Worker may have delivered the file, and `mayHaveArrived` says so.
 * @param cause - What the transport threw, for its message.
 */
export function uploadGotNoAnswer(bodySent: boolean, cause?: unknown): EdgeClientError {
  const detail = cause instanceof Error ? `: ${cause.message}` : "";
  const message = bodySent
    ? `the upload was sent but its answer was lost${detail}; the file may have arrived`
    : `the upload got no answer${detail}`;
  return new EdgeClientError(0, "NETWORK", message, undefined, { mayHaveArrived: bodySent });
}

/** What the client reads of a response (a `Response`, or `hc`'s typed one). */
export interface ResponseLike {
  ok: boolean;
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

// `credentials` is a browser notion, missing from the Workers' RequestInit type this file is also
// checked against.
/** `credentials: "include"`: the session cookie goes with every call. */
export const INCLUDE = { credentials: "include" } as RequestInit;

/**
 * The JSON of a successful answer, or its {@link EdgeClientError}.
 *
 * @param response - The answer.
 */
export async function parse<T>(response: ResponseLike): Promise<T> {
  const text = await response.text();
  if (!response.ok) throw toError(response.status, text, response.headers.get("Retry-After"));
  return JSON.parse(text) as T;
}

/**
 * The name a file is sent under: the caller's `fileName`, else the `File`'s name, else `upload`.
 *
 * @param file - The file or blob.
 * @param opts - The caller's options (their `fileName`).
 */
export const nameOf = (file: Blob, opts: { fileName?: string }): string =>
  opts.fileName || (file as Blob & { name?: string }).name || "upload";
