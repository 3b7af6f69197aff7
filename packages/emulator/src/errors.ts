import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * Error codes the emulator answers with. The first group are digi.me's own (see the wire format);
 * the others name refusals digi.me documents no code for, so tests can tell them apart.
 */
export type ApiErrorCode =
  | "InvalidToken"
  | "InvalidClient"
  | "InvalidRedirectUri"
  | "InsufficientScope"
  | "InvalidRequest"
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
 * A refusal the API answers digi.me-style. Throw it from any handler or middleware; the global
 * error handler turns it into `{ error: { code, message } }` with `status`.
 */
export class ApiError extends Error {
  /** The HTTP status to answer with. */
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

  /** The response body for this error. */
  toBody(): ApiErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

/** A 400 `InvalidRequest`: the request is malformed. */
export const invalidRequest = (message: string, cause?: unknown): ApiError =>
  new ApiError(400, "InvalidRequest", message, { cause });
