import { randomBytes } from "node:crypto";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * Error codes the emulator responds with. The first group are digi.me's own (see the wire format);
 * the others name refusals digi.me documents no code for, so tests can tell them apart.
 */
export type ApiErrorCode =
  | "InvalidToken"
  | "InvalidClient"
  | "InvalidRedirectUri"
  | "InsufficientScope"
  | "InvalidRequest"
  | "ValidationErrors"
  | "AccountNotFound"
  | "InvalidSignature"
  | "InvalidTimestamp"
  | "ReplayedNonce"
  | "InvalidAuthorizationCode"
  | "InvalidCodeVerifier"
  | "PostboxNotFound"
  | "InvalidSymmetricalKey"
  | "InvalidMetadata"
  | "InvalidFile"
  | "NotFound"
  | "PayloadTooLarge"
  | "TooManyRequests"
  | "InternalServerError"
  | "BadGateway"
  | "ServiceUnavailable"
  | "ConnectionDropped";

/** The JSON body of every failed API call: `{ error: { code, message, reference? } }`. */
export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; reference?: string };
}

/**
 * A refusal the API returns digi.me-style. Throw it from any handler or middleware; the global
 * error handler turns it into `{ error: { code, message, reference } }` with `status` (see
 * {@link errorAnswer}).
 */
export class ApiError extends Error {
  /** The HTTP status to respond with. */
  readonly status: ContentfulStatusCode;
  /** The digi.me-style error code. */
  readonly code: ApiErrorCode;
  /** Extra response headers (e.g. `Retry-After`). */
  readonly headers: Record<string, string>;

  constructor(
    status: ContentfulStatusCode,
    code: ApiErrorCode,
    message: string,
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.headers = options.headers ?? {};
  }
}

/**
 * The body and headers of an error answer: `{ error: { code, message, reference } }`, and the same
 * three as `X-Error-Code`, `X-Error-Message`, `X-Error-Reference`, as digi.me sends them. The
 * reference is fresh for each answer; header values are kept to printable ASCII.
 */
export function errorAnswer(
  code: ApiErrorCode,
  message: string,
): { body: ApiErrorBody; headers: Record<string, string> } {
  const reference = `err_${randomBytes(9).toString("base64url")}`;
  return {
    body: { error: { code, message, reference } },
    headers: {
      "X-Error-Code": code,
      "X-Error-Message": message.replace(/[^\x20-\x7e]/g, "?"),
      "X-Error-Reference": reference,
    },
  };
}

/** A 400 `InvalidRequest`: the request is malformed. */
export const invalidRequest = (message: string, cause?: unknown): ApiError =>
  new ApiError(400, "InvalidRequest", message, { cause });

/** A 406 `ValidationErrors`: digi.me's answer to a bad or missing JWT or header on the import routes. */
export const validationErrors = (message: string, cause?: unknown): ApiError =>
  new ApiError(406, "ValidationErrors", message, { cause });
