/**
 * What both upload routes share (`POST /api/files` and `POST /api/sealed-files`): the size rules and
 * the body's pace. Admission through the user's vault (rate and a fresh token) is in
 * `admit-write.ts`, one upload's plumbing in `upload-run.ts`; both are re-exported here.
 */
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { type BodyChunksOptions, bodyDeadline, DECLARED_READ_BYTES } from "./body-chunks.ts";

export { admitWrite, postboxOf, tokenForWrite } from "./admit-write.ts";
export { type UploadResult, UploadRun } from "./upload-run.ts";

/**
 * A body of at most this many bytes is read whole before it is sent on, so that sdk-core can send
 * it again by itself when digi.me asks for a token refresh. Larger (or unsized) bodies stream;
 * after such a refresh they respond with 503 `TOKEN_REFRESHED_RETRY`.
 */
export const REPLAYABLE_BYTES = 1024 * 1024;

/**
 * 413 `PAYLOAD_TOO_LARGE`.
 *
 * @param limit - The file limit (`MAX_UPLOAD_BYTES`), named in the message.
 */
export function tooLarge(limit: number): ApiError {
  return new ApiError(413, "PAYLOAD_TOO_LARGE", `the file is larger than the limit of ${limit} bytes`);
}

/**
 * How an upload's body is read: the time limit per 256 KiB chunk (`BODY_TIMEOUT_SECONDS`, else 408
 * `BODY_TIMEOUT`) and the slowest average rate after the grace period
 * (`MIN_UPLOAD_BYTES_PER_SECOND` after `UPLOAD_GRACE_SECONDS`, else 408 `UPLOAD_TOO_SLOW`).
 *
 * @param c - The request context (after `withConfig`).
 */
export function bodyTiming(c: Context<AppEnv>): BodyChunksOptions {
  const { bodyTimeoutMs: ms, minUploadBytesPerSecond: rate, uploadGraceMs: grace } = c.get("config");
  return {
    chunkTimeoutMs: ms,
    onTimeout: () =>
      new ApiError(
        408,
        "BODY_TIMEOUT",
        `the request body arrived too slowly (each 256 KiB must arrive within ${ms / 1000} s)`,
      ),
    minBytesPerSecond: rate,
    graceMs: grace,
    onTooSlow: () =>
      new ApiError(
        408,
        "UPLOAD_TOO_SLOW",
        `the upload came slower than ${rate} bytes per second on average (after the first ${grace / 1000} s)`,
      ),
  };
}

/**
 * How a body of a declared length is read, as `readBodyChunks` / `inLargeChunks` take it: in chunks
 * of up to `DECLARED_READ_BYTES` (one read past the declared end finds a longer body; a small one
 * is one read), at every upload's pace ({@link bodyTiming}) and within one deadline for the whole
 * (`bodyDeadline`).
 *
 * @param c - The request context (after `withConfig`).
 * @param declared - The body's `Content-Length`.
 */
export function declaredBodyReading(
  c: Context<AppEnv>,
  declared: number,
): [size: number, options: BodyChunksOptions] {
  const timing = bodyTiming(c);
  return [
    Math.min(DECLARED_READ_BYTES, declared + 1),
    { ...timing, deadline: bodyDeadline(declared, timing) },
  ];
}

/**
 * The `Content-Length` a request declared, or `undefined` (a streamed, chunked body).
 *
 * @param c - The request context.
 */
export function declaredLength(c: Context<AppEnv>): number | undefined {
  const declared = c.req.header("Content-Length");
  if (declared === undefined) return undefined;
  const n = Number(declared);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
