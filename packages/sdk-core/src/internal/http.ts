/**
 * The SDK's one way to send a request: a timeout per attempt, the caller's `AbortSignal`, bounded
 * retries with exponential backoff and full jitter (network errors, 429, 502, 503, 504, honouring
 * `Retry-After`), a request built afresh for every attempt (new nonce, new JWT), and digi.me's error
 * bodies turned into {@link ServerError} / {@link SDKInvalidError}.
 */
import type { RetryOptions } from "../config.js";
import { DigiMeSDKError, NetworkError, SDKInvalidError, ServerError, type WriteDelivery } from "../errors.js";
import { runtimeSupport } from "./runtime.js";

/** One request, as `build` makes it for one attempt. */
export interface PreparedRequest {
  url: string;
  method: "GET" | "POST" | "DELETE";
  headers: Record<string, string>;
  body?: BodyInit;
  /** The body is a `ReadableStream` (sent with `duplex: "half"`). */
  streamed?: boolean;
  /** The error of the body's own source, if it failed (reported instead of the network error). */
  bodyError?: () => unknown;
  /**
   * Whether the runtime has pulled anything of the body (see {@link DeliveryTracker}). Without it,
   * a body handed to `fetch` counts as sent.
   */
  bodyPulled?: () => boolean;
  /**
   * Whether the runtime has pulled the whole body. Without it, a body handed to `fetch` counts as
   * whole: digi.me may have it all (see `resendWhenUnknown`).
   */
  bodyDone?: () => boolean;
  /**
   * Size of a body the runtime sends without telling its progress (a `Blob`): the attempt's
   * timeout is extended by the time this takes at {@link SLOWEST_UPLOAD_BYTES_PER_SECOND}.
   */
  silentBytes?: number;
}

/** The slowest upload a `Blob` body is given time for before its attempt times out: 64 KiB/s. */
export const SLOWEST_UPLOAD_BYTES_PER_SECOND = 64 * 1024;

/** What `build` is told about the attempt it builds. */
export interface AttemptContext {
  /** 1 for the first attempt. */
  attempt: number;
  /** Restarts the attempt's timeout: call it whenever the request makes progress. */
  touch: () => void;
}

/**
 * What the attempts of one write, all of them (its retries, and the request sent again after a
 * token refresh), may have handed to the network. `maybeSent` becomes true once `fetch` was given
 * a body that it pulled from (or whose pulling cannot be observed: a `Blob`), and never goes back.
 */
export interface DeliveryTracker {
  maybeSent: boolean;
}

/** The {@link WriteDelivery} a write's {@link NetworkError} carries, `undefined` for other requests. */
function deliveryOf(tracker: DeliveryTracker | undefined): WriteDelivery | undefined {
  if (tracker === undefined) return undefined;
  return tracker.maybeSent ? "unknown" : "not-sent";
}

/** What {@link sendRequest} needs from the configuration. */
export interface HttpSettings {
  fetch: typeof fetch;
  retry: Required<RetryOptions>;
  timeoutMs: number;
  /** Randomness for the jitter; `Math.random` unless a test says otherwise. */
  random?: () => number;
}

/** Options of one {@link sendRequest}. */
export interface SendRequestOptions {
  /** Names the call in messages: `authorize`, `token`, `write`, `key set`. */
  what: string;
  /** Builds the request of one attempt; called again for every retry. */
  build: (attempt: AttemptContext) => Promise<PreparedRequest>;
  signal?: AbortSignal | undefined;
  /** Whether `build` can make the body again after an attempt failed. Default true. */
  replayable?: boolean | (() => boolean);
  /** Strings that must never appear in an error (tokens this request carries). */
  secrets?: readonly (string | undefined)[];
  /**
   * For a write: what its requests may have sent, shared by all of the write's requests. Its
   * NetworkErrors then carry `delivery`; without it (other requests) `delivery` is `undefined`.
   */
  delivery?: DeliveryTracker;
}

/** A 2xx answer: its status and its JSON (`null` when empty). */
export interface HttpResponse {
  status: number;
  data: unknown;
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const SDK_REFUSED = new Set(["SDKInvalid", "SDKVersionInvalid"]);
const TIMEOUT = Symbol("timeout");

/**
 * Milliseconds to wait as a `Retry-After` value says (delay-seconds or an HTTP date), or
 * `undefined` when it says neither.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Full-jitter backoff before retry number `retry` (1 for the first retry). */
export function backoffDelay(retry: number, settings: Required<RetryOptions>, random = Math.random): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

/** `text` with every secret, JWT (or JWT segment) and PEM block cut out, and not too long for a message. */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join("[redacted]");
  out = out
    .replace(/-----BEGIN[\s\S]*?(?:-----END[^-]*-----|$)/g, "[redacted key]")
    // A JWT, or a segment of one on its own (the payload alone holds the access token).
    .replace(/eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}/g, "[redacted token]");
  return out.length > 300 ? `${out.slice(0, 300)}…` : out;
}

/**
 * Sends a request, retrying as the settings allow, and answers its JSON when the status is 2xx.
 * A write (a request with a `delivery` tracker) that got no answer after its whole body may have
 * gone out is not sent again unless `retry.resendWhenUnknown`: its NetworkError ends the request.
 * @throws ServerError (or SDKInvalidError) for an error answer, NetworkError when there was none
 *   (code `NETWORK`, `TIMEOUT` or `ABORTED`), or whatever `build` threw.
 */
export async function sendRequest(
  settings: HttpSettings,
  options: SendRequestOptions,
): Promise<HttpResponse> {
  const { what, build, signal, replayable = true, secrets = [], delivery } = options;
  const { retry, timeoutMs, random = Math.random } = settings;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw aborted(what, signal, deliveryOf(delivery));
    let failure: DigiMeSDKError;
    const controller = new AbortController();
    const timer = idleTimer(timeoutMs, () => controller.abort(TIMEOUT));
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    let prepared: PreparedRequest | undefined;
    let fetched = false;
    let whole = false; // this attempt's whole body may have reached digi.me
    // Called as soon as the attempt is over (answered or failed), before any error is made.
    const noteDelivery = () => {
      if (delivery !== undefined && fetched && !delivery.maybeSent)
        delivery.maybeSent = prepared?.bodyPulled?.() ?? true;
    };
    try {
      prepared = await build({ attempt, touch: () => timer.touch() });
      if (prepared.silentBytes) timer.touch((prepared.silentBytes / SLOWEST_UPLOAD_BYTES_PER_SECOND) * 1000);
      // Aborted or timed out while building: fail without calling fetch, so nothing was sent.
      if (controller.signal.aborted) {
        if (prepared.body instanceof ReadableStream)
          await prepared.body.cancel(controller.signal.reason).catch(() => {});
        throw controller.signal.reason;
      }
      fetched = true;
      const response = await settings.fetch(prepared.url, requestInit(prepared, controller.signal));
      noteDelivery();
      timer.touch();
      const outcome = await readResponse(response, what, secrets);
      if (!(outcome instanceof DigiMeSDKError)) return outcome;
      failure = outcome;
      // A gateway's 502 or 504 may come after digi.me stored the file: as unknown as a lost answer.
      whole = response.status === 502 || response.status === 504;
    } catch (error) {
      if (prepared === undefined) throw error; // `build` failed: nothing was sent.
      noteDelivery();
      whole = fetched && (prepared.bodyDone?.() ?? true);
      failure = transportError(error, {
        what,
        signal,
        controller,
        prepared,
        timeoutMs,
        delivery: deliveryOf(delivery),
      });
    } finally {
      timer.stop();
      signal?.removeEventListener("abort", onAbort);
    }
    const retryable =
      (failure instanceof ServerError || failure instanceof NetworkError) && failure.retryable;
    const canReplay = typeof replayable === "function" ? replayable() : replayable;
    // A Retry-After is waited out as asked, never cut short: a longer one than the SDK may wait
    // ends the request with the error, whose `retryAfterMs` tells the caller when to try again.
    const { retryAfterMs } = failure as ServerError;
    if (
      !retryable ||
      !canReplay ||
      // A write whose whole body may have reached digi.me got no answer: it may be stored, and the
      // API has no idempotency key, so it is sent again only when the caller asked.
      (delivery !== undefined && whole && !retry.resendWhenUnknown) ||
      attempt > retry.limit ||
      (retryAfterMs !== undefined && retryAfterMs > retry.maxRetryAfterMs)
    ) {
      throw failure;
    }
    await sleep(retryAfterMs ?? backoffDelay(attempt, retry, random), signal, what, delivery);
  }
}

function requestInit(prepared: PreparedRequest, signal: AbortSignal): RequestInit {
  const streamed = prepared.streamed === true;
  // Node's fetch keeps a streamed body in memory to replay it on a redirect unless told "error";
  // workerd refuses "error". With "manual", a 3xx is answered and refused in readResponse.
  const redirect: RequestRedirect = streamed && runtimeSupport().redirectError ? "error" : "manual";
  const init: RequestInit & { duplex?: "half" } = {
    method: prepared.method,
    headers: prepared.headers,
    signal,
    redirect,
  };
  if (prepared.body !== undefined) init.body = prepared.body;
  if (streamed) init.duplex = "half";
  return init;
}

async function readResponse(
  response: Response,
  what: string,
  secrets: readonly (string | undefined)[],
): Promise<HttpResponse | DigiMeSDKError> {
  const { status } = response;
  if (response.type === "opaqueredirect" || (status >= 300 && status < 400)) {
    await response.body?.cancel().catch(() => {});
    return new ServerError(`${what}: digi.me answered with a redirect (${status}); the SDK follows none`, {
      status,
      code: "UNEXPECTED_REDIRECT",
      retryable: false,
    });
  }
  const text = await response.text();
  let data: unknown = null;
  let parsed = true;
  if (text.trim() !== "") {
    try {
      data = JSON.parse(text);
    } catch {
      parsed = false;
    }
  }
  if (status >= 200 && status < 300) {
    if (!parsed) {
      return new ServerError(`${what}: digi.me answered ${status} with a body that is not JSON`, {
        status,
        code: "INVALID_RESPONSE",
        retryable: false,
      });
    }
    return { status, data };
  }
  // The body's `error` first; without one, the same three in `X-Error-*` headers.
  const body = (data as { error?: Record<string, unknown> } | null)?.error;
  const field = (name: string): string | undefined => {
    const value = body?.[name] ?? response.headers.get(`x-error-${name}`);
    return typeof value === "string" && value !== "" ? redact(value, secrets) : undefined;
  };
  const code = field("code") ?? `HTTP_${status}`;
  const message = field("message");
  const reference = field("reference");
  const options = {
    status,
    code,
    reference,
    retryable: RETRY_STATUSES.has(status),
    retryAfterMs: parseRetryAfter(response.headers.get("retry-after")),
  };
  const summary = `${what} failed: digi.me answered ${status} ${code}${message ? `: ${message}` : ""}${reference ? ` (reference ${reference})` : ""}`;
  return SDK_REFUSED.has(code) ? new SDKInvalidError(summary, options) : new ServerError(summary, options);
}

function transportError(
  error: unknown,
  context: {
    what: string;
    signal: AbortSignal | undefined;
    controller: AbortController;
    prepared: PreparedRequest;
    timeoutMs: number;
    delivery: WriteDelivery | undefined;
  },
): DigiMeSDKError {
  const { what, signal, controller, prepared, timeoutMs, delivery } = context;
  if (signal?.aborted) return aborted(what, signal, delivery);
  if (controller.signal.aborted && controller.signal.reason === TIMEOUT) {
    return new NetworkError(`${what}: no progress for ${timeoutMs} ms`, {
      code: "TIMEOUT",
      retryable: true,
      delivery,
    });
  }
  const bodyError = prepared.bodyError?.();
  if (bodyError !== undefined) {
    return bodyError instanceof DigiMeSDKError
      ? bodyError
      : new DigiMeSDKError(`${what}: reading the file to send failed`, {
          code: "BODY_STREAM",
          cause: bodyError,
        });
  }
  if (error instanceof DigiMeSDKError) return error;
  return new NetworkError(`${what}: the request got no answer (network error)`, { cause: error, delivery });
}

function aborted(what: string, signal: AbortSignal, delivery: WriteDelivery | undefined): NetworkError {
  return new NetworkError(`${what}: aborted`, {
    code: "ABORTED",
    retryable: false,
    cause: signal.reason,
    delivery,
  });
}

/** A timeout that fires after `ms` without a `touch()`; `touch(extra)` also grants `extra` ms more. */
function idleTimer(ms: number, onIdle: () => void) {
  let last = Date.now();
  let handle: ReturnType<typeof setTimeout> | undefined;
  const arm = (delay: number) => {
    handle = setTimeout(() => {
      const idle = Date.now() - last;
      if (idle >= ms) onIdle();
      else arm(ms - idle);
    }, delay);
  };
  arm(ms);
  return {
    touch: (extra = 0) => {
      last = Math.max(last, Date.now() + extra);
    },
    stop: () => clearTimeout(handle),
  };
}

function sleep(
  ms: number,
  signal: AbortSignal | undefined,
  what: string,
  delivery: DeliveryTracker | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted(what, signal, deliveryOf(delivery)));
    const onAbort = () => {
      clearTimeout(handle);
      reject(aborted(what, signal as AbortSignal, deliveryOf(delivery)));
    };
    const handle = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
