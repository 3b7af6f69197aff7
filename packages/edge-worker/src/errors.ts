import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Every error code this Worker responds with. */
export type ApiErrorCode =
  | "CONFIG_INVALID"
  | "NOT_FOUND"
  | "UNAUTHENTICATED"
  | "SESSION_EXPIRED"
  | "CANNOT_WRITE"
  | "CSRF_ORIGIN"
  | "PAYLOAD_TOO_LARGE"
  | "BODY_TIMEOUT"
  | "UPLOAD_TOO_SLOW"
  | "BAD_MULTIPART"
  | "MISSING_FILE"
  | "BAD_DESCRIPTOR"
  | "DESCRIPTOR_AFTER_FILE"
  | "BAD_FILE_BODY"
  | "LENGTH_REQUIRED"
  | "BAD_CONTENT_TYPE"
  | "BAD_IV"
  | "BAD_SYMMETRICAL_KEY"
  | "BAD_METADATA"
  | "BAD_SEALED_BODY"
  | "BAD_FILE_NAME"
  | "BAD_RETURN_TO"
  | "BAD_STATE"
  | "BAD_CALLBACK"
  | "AUTHORIZATION_FAILED"
  | "RATE_LIMITED"
  | "TOO_MANY_UPLOADS"
  | "TOKEN_REFRESHED_RETRY"
  | "DIGIME_UNREACHABLE"
  | "DIGIME_UNREACHABLE_NOT_SENT"
  | "DIGIME_OUTCOME_UNKNOWN"
  | "DIGIME_TIMEOUT"
  | "DIGIME_UNAVAILABLE"
  | "DIGIME_REJECTED"
  | "DIGIME_BAD_RESPONSE"
  | "DIGIME_ERROR"
  | "INTERNAL"
  // The import API (DIGIME_WRITE_API=import) and the routes that come with it.
  | "WRITE_API_MISMATCH"
  | "SEALING_UNAVAILABLE"
  | "IMPORT_API_REQUIRED"
  | "BAD_SOURCE_TYPE"
  | "BAD_FHIR_VERSION"
  | "BAD_FHIR_BODY"
  | "BAD_ACCOUNT_ID"
  | "ACCOUNT_NOT_FOUND"
  | "NOT_A_PUSH_ACCOUNT"
  // Resumable uploads (tus, /api/uploads).
  | "TUS_VERSION_UNSUPPORTED"
  | "BAD_UPLOAD_LENGTH"
  | "BAD_UPLOAD_OFFSET"
  | "BAD_UPLOAD_METADATA"
  | "OFFSET_MISMATCH"
  | "UPLOAD_LOCKED"
  | "UPLOAD_EXPIRED"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "UPLOAD_INTERRUPTED"
  | "STAGING_UNAVAILABLE"
  | "BAD_UPLOAD_CHECKSUM"
  | "CHECKSUM_MISMATCH";

/** The JSON body of every error answer. */
export interface ErrorBody {
  /** What went wrong. */
  error: {
    /** A stable, machine-readable code. */
    code: ApiErrorCode;
    /** A human-readable explanation that never contains a secret. */
    message: string;
    /** digi.me's own error code, for {@link ApiErrorCode} `DIGIME_*` answers when digi.me gave one. */
    upstream?: string;
  };
}

/** Options of {@link ApiError}. */
export interface ApiErrorOptions {
  /** Extra headers for the answer, e.g. `Retry-After`. */
  headers?: Record<string, string>;
  /** digi.me's own code, when the failure came from digi.me. */
  upstream?: string;
  /** The underlying error; logged by code only, never returned. */
  cause?: unknown;
}

/** An error that becomes the JSON answer `{ error: { code, message } }` with its status. */
export class ApiError extends Error {
  /** HTTP status of the answer. */
  readonly status: ContentfulStatusCode;
  /** Stable code of the answer. */
  readonly code: ApiErrorCode;
  /** Extra headers of the answer. */
  readonly headers: Record<string, string>;
  /** digi.me's own code, when there is one. */
  readonly upstream: string | undefined;

  /**
   * @param status - HTTP status of the answer.
   * @param code - Stable code of the answer.
   * @param message - A message for people; never a secret or a value received.
   * @param options - Extra headers, digi.me's own code, the cause (logged by code only).
   */
  constructor(
    status: ContentfulStatusCode,
    code: ApiErrorCode,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.headers = options.headers ?? {};
    this.upstream = options.upstream;
  }

  /** The JSON body of this error. */
  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.upstream === undefined ? {} : { upstream: this.upstream }),
      },
    };
  }

  /** This error as a `Response` (headers other than its own are added by the middleware). */
  toResponse(): Response {
    return Response.json(this.toBody(), {
      status: this.status,
      headers: { ...this.headers, "Cache-Control": "no-store" },
    });
  }
}
