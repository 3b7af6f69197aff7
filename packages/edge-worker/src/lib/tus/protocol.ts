/**
 * The tus 1.0.0 wire rules the Worker's `/api/uploads` routes share: the headers every answer
 * carries, the version check, and the numeric headers. See https://tus.io/protocols/resumable-upload.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { ApiError } from "../../errors.ts";

/** The one protocol version served. */
export const TUS_VERSION = "1.0.0";
/** The extensions served (`Tus-Extension`). */
export const TUS_EXTENSIONS = "creation,creation-with-upload,termination,expiration,checksum";
/** The media type of a PATCH body. */
export const OFFSET_OCTET_STREAM = "application/offset+octet-stream";

/** Request headers of tus, for CORS (`Access-Control-Allow-Headers`). */
export const TUS_REQUEST_HEADERS = [
  "Tus-Resumable",
  "Upload-Length",
  "Upload-Offset",
  "Upload-Metadata",
  "Upload-Checksum",
];
/**
 * Response header of `HEAD` beside tus's: where the upload is (`receiving`, `complete`, `delivering`,
 * `delivered`, `failed`), since tus's `Upload-Offset` alone cannot say whether it was delivered.
 */
export const UPLOAD_STATE_HEADER = "X-Digime-Upload-State";

/** Response headers of tus (and {@link UPLOAD_STATE_HEADER}), for CORS (`Access-Control-Expose-Headers`). */
export const TUS_ANSWER_HEADERS = [
  "Location",
  "Tus-Resumable",
  "Tus-Version",
  "Tus-Extension",
  "Tus-Max-Size",
  "Tus-Checksum-Algorithm",
  "Upload-Offset",
  "Upload-Length",
  "Upload-Expires",
  UPLOAD_STATE_HEADER,
];

/**
 * 412 `TUS_VERSION_UNSUPPORTED` (with `Tus-Version`) unless the request says `Tus-Resumable: 1.0.0`,
 * as the protocol asks of every request but `OPTIONS`.
 *
 * @param c - The request context.
 */
export function requireTusResumable(c: Context<AppEnv>): void {
  if (c.req.header("Tus-Resumable")?.trim() === TUS_VERSION) return;
  throw new ApiError(412, "TUS_VERSION_UNSUPPORTED", `send Tus-Resumable: ${TUS_VERSION}`, {
    headers: { "Tus-Version": TUS_VERSION, "Tus-Resumable": TUS_VERSION },
  });
}

/**
 * A header holding a non-negative whole number (`Upload-Length`, `Upload-Offset`), or `undefined`
 * when absent or not one (digits only: no sign, no exponent).
 *
 * @param value - The header's value.
 */
export function wholeNumberOf(value: string | undefined): number | undefined {
  const text = value?.trim();
  if (!text || !/^\d{1,16}$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * `ms` since the epoch as an HTTP date (`Upload-Expires`, RFC 9110 IMF-fixdate).
 *
 * @param ms - The time.
 */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}
