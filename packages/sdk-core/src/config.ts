/**
 * `init`'s options, checked and completed with defaults once, and the context every operation
 * receives.
 */

import { parseInput, validationError } from "./internal/checks.ts";
import { configSchema } from "./schemas.ts";

const NO_FETCH = "is required (no globalThis.fetch)";

/** Default API root (digi.me v1.7). */
export const DEFAULT_BASE_URL = "https://api.digi.me/v1.7/";
/** Default web onboarding root. */
export const DEFAULT_ONBOARD_URL = "https://api.digi.me/apps/saas/";

/** When and how often a request is sent again (network errors, 429, 502, 503, 504). */
export interface RetryOptions {
  /** Retries after the first attempt (0 to 10). Default 2. */
  limit?: number;
  /** Backoff base: the n-th retry waits a random time up to `baseDelayMs * 2^n`. Default 300. */
  baseDelayMs?: number;
  /** Upper bound of one backoff wait. Default 10 000. */
  maxDelayMs?: number;
  /**
   * The longest wait asked by `Retry-After` that the SDK waits out itself before trying again.
   * A longer one is not cut short: the operation ends with the `ServerError`, whose
   * `retryAfterMs` says when to try again. Default 60 000.
   */
  maxRetryAfterMs?: number;
  /**
   * Whether a write (`write`, `sendSealed`) is sent again after an attempt that got no answer once
   * its whole body may have reached digi.me (a connection lost after the body went out, a timeout
   * waiting for the answer, a gateway's 502 or 504). digi.me may have stored it, and its API has no
   * idempotency key, so a resend may store a second copy. Default false: the write ends with that
   * error (`NetworkError` with `delivery: "unknown"`, or the `ServerError`). Attempts that surely did
   * not reach digi.me, 429 and 503 answers and the resend after a token refresh are sent again
   * either way.
   */
  resendWhenUnknown?: boolean;
}

/** Options of {@link init}. */
export interface SDKConfig {
  /** The app's id at digi.me. */
  applicationId: string;
  /** API root; default `https://api.digi.me/v1.7/`. A trailing `/` is added when missing. */
  baseUrl?: string;
  /** Web onboarding root; default `https://api.digi.me/apps/saas/`. */
  onboardUrl?: string;
  /** The fetch to use; default `globalThis.fetch` (bound to `globalThis`). */
  fetch?: typeof fetch;
  /**
   * Origins (`https://host[:port]`) from which response-token key sets (`jku`) may be fetched.
   * Default: the origin of `baseUrl` alone. A key set anywhere else is refused.
   */
  trustedKeyOrigins?: string[];
  /** Retry policy, or `false` for a single attempt. */
  retry?: RetryOptions | false;
  /**
   * How long one attempt may wait without progress, in milliseconds. Default 30 000. The clock
   * restarts whenever the runtime takes a chunk of the request body, and a chunk of `n` bytes adds
   * the time it takes at 64 KiB/s (`n / 65 536` s): the next chunk, or the answer, must come within
   * `timeoutMs` plus that (a 1 MiB chunk: `timeoutMs` + 16 s). The grants add up: chunks the runtime
   * reads ahead in a burst (a socket buffer, an HTTP/2 window) each keep their time for the drain
   * after, so a body whose every chunk goes out at 64 KiB/s or faster never times out. A body sent without telling its progress (a `Blob`, a
   * stream piped by the runtime) adds the time of its whole size at once. A streamed body of which
   * nothing is taken adds nothing.
   */
  timeoutMs?: number;
  /**
   * Whether to stream request bodies. Default: yes, except in browsers, which stream them only
   * over HTTP/2 or later; there the body is sent as a `Blob` (made from the encrypted stream).
   */
  streamUploads?: boolean;
}

/** {@link SDKConfig} checked, with every default filled in. */
export interface ResolvedConfig {
  applicationId: string;
  baseUrl: string;
  onboardUrl: string;
  fetch: typeof fetch;
  trustedKeyOrigins: ReadonlySet<string>;
  retry: Required<RetryOptions>;
  timeoutMs: number;
  streamUploads?: boolean | undefined;
}

/** What an operation of the SDK object receives: the configuration and the client's key sets. */
export interface ClientContext {
  config: ResolvedConfig;
  /** Returns the key that verifies a response token, from a trusted key set (see key-set.ts). */
  resolveVerificationKey: (header: { jku?: unknown; kid?: unknown }) => Promise<CryptoKey>;
}

const RETRY_DEFAULTS: Required<RetryOptions> = {
  limit: 2,
  baseDelayMs: 300,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
  resendWhenUnknown: false,
};

/** `url` normalised (as `URL` writes it), ending with a `/`. */
function withSlash(url: string): string {
  const { href } = new URL(url);
  return href.endsWith("/") ? href : `${href}/`;
}

/**
 * Checks `init`'s options and fills in the defaults.
 * @throws TypeValidationError naming each bad option.
 */
export function resolveConfig(input: SDKConfig): ResolvedConfig {
  // `retry: false` is taken out here, so that the schema needs no union for it.
  const noRetry = (input as { retry?: unknown } | null | undefined)?.retry === false;
  const options = parseInput(
    configSchema(),
    noRetry ? { ...input, retry: undefined } : input,
    "init options",
  );
  const baseUrl = withSlash(options.baseUrl ?? DEFAULT_BASE_URL);
  const onboardUrl = withSlash(options.onboardUrl ?? DEFAULT_ONBOARD_URL);
  let fetchFn = options.fetch;
  if (fetchFn === undefined) {
    if (typeof globalThis.fetch !== "function") {
      throw validationError("init options", [{ path: ["fetch"], message: NO_FETCH }], { code: "NO_FETCH" });
    }
    // A detached fetch throws "Illegal invocation" on Workers and in browsers.
    fetchFn = globalThis.fetch.bind(globalThis);
  }
  const origins = options.trustedKeyOrigins ?? [baseUrl];
  // `applicationId` and `streamUploads` as checked; the others resolved.
  return {
    ...options,
    baseUrl,
    onboardUrl,
    fetch: fetchFn,
    trustedKeyOrigins: new Set(origins.map((o) => new URL(o).origin)),
    retry: noRetry
      ? { ...RETRY_DEFAULTS, limit: 0 }
      : // The checked copy holds no `undefined` member, so no default is overwritten by one.
        { ...RETRY_DEFAULTS, ...options.retry },
    timeoutMs: options.timeoutMs ?? 30_000,
  };
}
