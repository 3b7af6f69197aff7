import {
  type DigiMeSDK,
  DigiMeSDKError,
  init,
  NetworkError,
  ServerError,
  TokenVerificationError,
  TypeValidationError,
} from "@digime-edge/sdk-core";
import type { Config } from "../config.ts";
import { ApiError, type ApiErrorCode } from "../errors.ts";

const sdks = new WeakMap<Config, DigiMeSDK>();

/**
 * The longest `Retry-After` of digi.me that sdk-core waits out inside a Worker request. A longer
 * one is passed on to the app (`DIGIME_UNAVAILABLE` with digi.me's `Retry-After`), so that no
 * request is held for long.
 */
export const MAX_RETRY_AFTER_MS = 5_000;

/** `Retry-After` seconds for the app: digi.me's own (1 s to 1 h) when it gave one, else 5. */
export function retryAfterSeconds(retryAfterMs: number | undefined): number {
  if (retryAfterMs === undefined) return 5;
  return Math.min(3600, Math.max(1, Math.ceil(retryAfterMs / 1000)));
}

/**
 * The sdk-core instance for a configuration, made once per configuration.
 *
 * @param config - The validated configuration.
 */
export function getSdk(config: Config): DigiMeSDK {
  let sdk = sdks.get(config);
  if (!sdk) {
    sdk = init({
      applicationId: config.applicationId,
      baseUrl: config.baseUrl,
      onboardUrl: config.onboardUrl,
      fetch: fetch.bind(globalThis),
      // A write whose whole body may have reached digi.me is never sent again by the Worker: its
      // outcome is unknown (DIGIME_OUTCOME_UNKNOWN), and a resend may store a second copy.
      retry: { maxRetryAfterMs: MAX_RETRY_AFTER_MS, resendWhenUnknown: false },
    });
    sdks.set(config, sdk);
  }
  return sdk;
}

/**
 * The contract details sdk-core needs for a configuration. An import contract's have no
 * `redirectUri`: its sign-in follows the official SDK's version-10 rule (the `redirect_uri` claim is
 * the `callback`, `DIGIME_REDIRECT_URI`, and the onboarding URL carries no `callback`).
 *
 * @param config - The validated configuration.
 */
export function contractDetails(config: Config): {
  contractId: string;
  privateKey: string;
  redirectUri?: string;
} {
  const { contractId, privateKey, redirectUri } = config;
  return config.writeApi === "import" ? { contractId, privateKey } : { contractId, privateKey, redirectUri };
}

/** An {@link ApiError} in a form that crosses Durable Object RPC (classes do not). */
export interface ApiFailure {
  /** HTTP status to respond with. */
  status: ApiError["status"];
  /** Stable code. */
  code: ApiErrorCode;
  /** Safe message. */
  message: string;
  /** digi.me's own code, when there is one. */
  upstream?: string;
  /** Seconds for `Retry-After`, when retrying later may help. */
  retryAfter?: number;
}

/**
 * Turns a failure of sdk-core (or of anything during a digi.me call) into the answer it deserves:
 * unreachable, timed out or overloaded (429, 503) digi.me is 503 with `Retry-After` (unreachable
 * before any byte of a write's file went out: `DIGIME_UNREACHABLE_NOT_SENT`, not stored); a write
 * whose file may have reached digi.me without an answer (a connection lost after the body went
 * out, no answer in time, a gateway's 502 or 504) is 502 `DIGIME_OUTCOME_UNKNOWN`, without
 * `Retry-After`: it may be stored,
 * and sending it again may store it twice. A digi.me failure (other 5xx), a refusal (4xx) or an
 * answer that does not verify is 502. An access or refresh token digi.me no longer accepts is 401
 * `SESSION_EXPIRED`. Messages are sdk-core's, which never contain a key or a token.
 *
 * @param error - What sdk-core threw.
 * @param write - The call sent a file (a write or an import), so a gateway's 502 or 504 leaves its
 *   outcome unknown (sdk-core does not resend it either).
 */
export function describeDigiMeFailure(error: unknown, write = false): ApiFailure {
  if (error instanceof ServerError) {
    if (write && (error.status === 502 || error.status === 504)) {
      return {
        status: 502,
        code: "DIGIME_OUTCOME_UNKNOWN",
        message: `digi.me's gateway failed (HTTP ${error.status}) after the file went out: it may be stored; check the library before sending it again`,
        upstream: error.code,
      };
    }
    if (error.code === "InvalidToken") {
      return {
        status: 401,
        code: "SESSION_EXPIRED",
        message: "digi.me no longer accepts this sign-in; sign in again",
        upstream: error.code,
      };
    }
    if (error.status === 429 || error.status === 503) {
      return {
        status: 503,
        code: "DIGIME_UNAVAILABLE",
        message: `digi.me is unavailable (HTTP ${error.status}); try again later`,
        upstream: error.code,
        retryAfter: retryAfterSeconds(error.retryAfterMs),
      };
    }
    const failed = error.status >= 500;
    return {
      status: 502,
      code: failed ? "DIGIME_ERROR" : "DIGIME_REJECTED",
      message: `${failed ? "digi.me failed" : "digi.me refused the request"} (HTTP ${error.status}, ${error.code})`,
      upstream: error.code,
    };
  }
  if (error instanceof NetworkError) {
    // sdk-core is sure that no byte of the file went out (`delivery` is set on writes only): not
    // stored, sending it again is safe. Otherwise the outcome is unknown.
    if (error.delivery === "not-sent") {
      return {
        status: 503,
        code: "DIGIME_UNREACHABLE_NOT_SENT",
        message: "digi.me could not be reached; the file was not sent, sending it again is safe",
        retryAfter: 5,
      };
    }
    const timeout = error.code === "TIMEOUT";
    if (error.delivery === "unknown") {
      return {
        status: 502,
        code: "DIGIME_OUTCOME_UNKNOWN",
        message: `${timeout ? "digi.me did not answer in time" : "no answer came from digi.me"} after the file may have gone out: it may be stored; check the library before sending it again`,
      };
    }
    // Not a write's file (`delivery` undefined): the sign-in or a token refresh got no answer.
    return {
      status: 503,
      code: timeout ? "DIGIME_TIMEOUT" : "DIGIME_UNREACHABLE",
      message: timeout ? "digi.me did not answer in time" : "digi.me could not be reached",
      retryAfter: 5,
    };
  }
  if (error instanceof TokenVerificationError) {
    return { status: 502, code: "DIGIME_BAD_RESPONSE", message: "digi.me's answer did not verify" };
  }
  if (
    error instanceof DigiMeSDKError &&
    (error.code === "BODY_CONSUMED" || error.code === "RESEAL_REQUIRED" || error.code === "DATA_REQUIRED")
  ) {
    return {
      status: 503,
      code: "TOKEN_REFRESHED_RETRY",
      message: "the sign-in was refreshed after the file had been sent; send the file again",
      retryAfter: 0,
    };
  }
  if (error instanceof TypeValidationError) {
    return { status: 502, code: "DIGIME_ERROR", message: "digi.me returned data this Worker cannot use" };
  }
  if (error instanceof DigiMeSDKError) {
    return { status: 502, code: "DIGIME_ERROR", message: `the digi.me call failed (${error.code})` };
  }
  return { status: 502, code: "DIGIME_ERROR", message: "the digi.me call failed" };
}

/**
 * An {@link ApiError} from an {@link ApiFailure}.
 *
 * @param failure - The failure, e.g. as a Durable Object returned it.
 */
export function failureToError(failure: ApiFailure): ApiError {
  return new ApiError(failure.status, failure.code, failure.message, {
    upstream: failure.upstream,
    headers: failure.retryAfter === undefined ? {} : { "Retry-After": String(failure.retryAfter) },
  });
}
