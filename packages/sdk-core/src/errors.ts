/**
 * Error classes of the SDK. Their names and shapes follow digi.me's official Node SDK, so that
 * moving over is a change of import. Every error has a stable `code`; messages never contain a
 * private key, an access token or a refresh token.
 */

import type { UserAccessToken } from "./types.ts";

/** Every code an SDK error can carry (a {@link ServerError} carries the server's own code instead). */
export type DigiMeErrorCode =
  | "TYPE_VALIDATION"
  | "KEY_IMPORT"
  | "TOKEN_VERIFICATION"
  | "UNTRUSTED_KEY_SET"
  | "NETWORK"
  | "TIMEOUT"
  | "ABORTED"
  | "BODY_CONSUMED"
  | "RESEAL_REQUIRED"
  | "DATA_REQUIRED"
  | "SDK_INVALID"
  | "SERVER"
  | "INVALID_RESPONSE"
  | "UNEXPECTED_REDIRECT"
  | "BODY_STREAM"
  | "NO_FETCH"
  | (string & {});

/** Options shared by the SDK's error constructors. */
export interface DigiMeSDKErrorOptions {
  /** The underlying error, when there is one. */
  cause?: unknown;
  /** A code more precise than the class's default. */
  code?: DigiMeErrorCode;
}

// Tokens that errors carry, kept off the objects so they never appear in `JSON.stringify(error)`
// or a log of the error.
const carriedTokens = new WeakMap<DigiMeSDKError, UserAccessToken>();

/**
 * Base class of every error this SDK throws. Each class of the SDK names itself in a string (a
 * class's own name does not survive minification); a subclass of yours gets its class's name.
 */
export class DigiMeSDKError extends Error {
  /** A stable, machine-readable code. */
  declare readonly code: DigiMeErrorCode;

  constructor(message: string, options: DigiMeSDKErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target === DigiMeSDKError ? "DigiMeSDKError" : new.target.name;
    this.code = options.code ?? "SDK";
  }

  /**
   * The refreshed token, when the operation refreshed the user's token before it failed: keep it,
   * it replaces the one passed in (whose refresh token may be spent). `undefined` otherwise.
   */
  get userAccessToken(): UserAccessToken | undefined {
    return carriedTokens.get(this);
  }
}

/** Makes `error` carry `token` (see {@link DigiMeSDKError.userAccessToken}); not exported by the package. */
export function carryToken<E extends DigiMeSDKError>(error: E, token: UserAccessToken): E {
  carriedTokens.set(error, token);
  return error;
}

/** One problem found while validating input: the field's path and what is wrong with it. */
export interface ValidationIssue {
  /** Path of the field, e.g. `["contractDetails", "privateKey"]`. */
  path: (string | number)[];
  /** What is wrong, without echoing the value. */
  message: string;
}

/** Input was refused before any request was sent. */
export class TypeValidationError extends DigiMeSDKError {
  override name = "TypeValidationError";
  /** Every problem found, each with the field's path. */
  declare readonly issues: ValidationIssue[];

  constructor(message: string, options: DigiMeSDKErrorOptions & { issues?: ValidationIssue[] } = {}) {
    super(message, { code: "TYPE_VALIDATION", ...options });
    this.issues = options.issues ?? [];
  }
}

/** What a digi.me error answer said, and the HTTP status it came with. */
export interface ServerErrorOptions extends DigiMeSDKErrorOptions {
  /** HTTP status of the answer. */
  status: number;
  /** digi.me's reference for the failure, when it gave one. */
  reference?: string;
  /** Whether sending the same request again may succeed (429, 5xx). */
  retryable?: boolean;
  /** How long the answer's `Retry-After` asked to wait, in milliseconds. */
  retryAfterMs?: number | undefined;
}

/** digi.me responded with an error (a non-2xx status). `code` is the server's code. */
export class ServerError extends DigiMeSDKError {
  override name = "ServerError";
  /** HTTP status of the answer. */
  declare readonly status: number;
  /** digi.me's reference for the failure, when it gave one. */
  declare readonly reference: string | undefined;
  /** Whether sending the same request again may succeed. */
  declare readonly retryable: boolean;
  /**
   * How long digi.me asked to wait before trying again (its `Retry-After`), in milliseconds, when
   * it said. The SDK waits that long itself only up to `retry.maxRetryAfterMs`.
   */
  declare readonly retryAfterMs: number | undefined;

  constructor(message: string, options: ServerErrorOptions) {
    super(message, { code: "SERVER", ...options });
    this.status = options.status;
    this.reference = options.reference;
    this.retryable = options.retryable ?? (options.status === 429 || options.status >= 500);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** digi.me refused this SDK or its version (`SDKInvalid`, `SDKVersionInvalid`). */
export class SDKInvalidError extends ServerError {
  override name = "SDKInvalidError";
}

/** A token from digi.me did not verify (signature, algorithm, key set origin or shape). */
export class TokenVerificationError extends DigiMeSDKError {
  override name = "TokenVerificationError";
  constructor(message: string, options: DigiMeSDKErrorOptions = {}) {
    super(message, { code: "TOKEN_VERIFICATION", ...options });
  }
}

/**
 * What a failed write (`write`, `sendSealed`) knows about its file reaching digi.me:
 * - `"not-sent"`: no byte of any request body of the write was handed to the network (the
 *   connection failed, or the write was aborted or timed out, before the runtime took anything of
 *   the body; or no request was made at all). digi.me cannot have stored the file: sending it
 *   again is safe.
 * - `"unknown"`: some body went out, or may have (a `Blob` body, whose sending cannot be
 *   observed, counts as sent once handed to `fetch`): the file may have been stored, and sending
 *   it again may store it twice (digi.me's API has no idempotency key).
 */
export type WriteDelivery = "not-sent" | "unknown";

/** Options of {@link NetworkError}. */
export interface NetworkErrorOptions extends DigiMeSDKErrorOptions {
  /** Whether sending the same request again may succeed. Default true. */
  retryable?: boolean;
  /** For a write: whether its file may have reached digi.me. */
  delivery?: WriteDelivery;
}

/** The request did not get an answer: connection failure, timeout or abort. */
export class NetworkError extends DigiMeSDKError {
  override name = "NetworkError";
  /** Whether sending the same request again may succeed. */
  declare readonly retryable: boolean;
  /**
   * Set on a write's error (see {@link WriteDelivery}): `"not-sent"` only when it is certain that
   * no body byte of the write, in any of its attempts, was handed to the network; `"unknown"`
   * otherwise. `undefined` on the error of any other request (`authorize`, `token`, the key set),
   * including the token refresh inside a write: treat `undefined` as `"unknown"`.
   */
  declare readonly delivery: WriteDelivery | undefined;

  constructor(message: string, options: NetworkErrorOptions = {}) {
    super(message, { code: "NETWORK", ...options });
    this.retryable = options.retryable ?? true;
    this.delivery = options.delivery;
  }
}

/**
 * An operation could not send its data again because it was a stream that had already been sent:
 * the access token had to be refreshed (`401 InvalidToken`, or `pending` for a postbox write) after
 * the stream was spent, and the SDK never sends an empty or short body instead. Give the data once
 * more (a new stream, or bytes) with {@link DataRequiredError.userAccessToken}, the refreshed
 * token, which has replaced the one passed in (a refresh token may be single-use).
 * Code `DATA_REQUIRED` (`pushData`), or `RESEAL_REQUIRED` for its subclass {@link ResealRequiredError}.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface below only narrows a getter's type.
export class DataRequiredError extends DigiMeSDKError {
  override name = "DataRequiredError";
  constructor(message: string, options: DigiMeSDKErrorOptions & { userAccessToken: UserAccessToken }) {
    super(message, { code: "DATA_REQUIRED", ...options });
    carryToken(this, options.userAccessToken);
  }
}

// Types only, so that the bundle holds no getter for it: here the carried token is always there.
export interface DataRequiredError {
  /** The refreshed token: keep it, it replaces the one the operation was given. */
  get userAccessToken(): UserAccessToken;
}

/**
 * A postbox write could not be sent again because its sealed body was a stream that had already
 * been sent (see {@link DataRequiredError}): seal the file once more and send it with
 * `error.userAccessToken`, the refreshed token. Code `RESEAL_REQUIRED`.
 */
export class ResealRequiredError extends DataRequiredError {
  override name = "ResealRequiredError";
  override readonly code: DigiMeErrorCode = "RESEAL_REQUIRED";
}
