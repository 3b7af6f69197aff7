/**
 * The attempt loop, the SDK's one way to send a request: a timeout per attempt that progress
 * restarts, the caller's `AbortSignal`, bounded retries with backoff (network errors, 429, 502,
 * 503, 504, honouring `Retry-After`), a request built afresh for every attempt (new nonce, new
 * JWT), and digi.me's error answers turned into {@link ServerError} / {@link SDKInvalidError}.
 */
import { DigiMeSDKError, NetworkError, SDKInvalidError, ServerError } from "../errors.ts";
import { redact } from "../internal/redact.ts";
import { backoffDelay, isRetryStatus, parseRetryAfter, type RetrySettings } from "../internal/retry.ts";
import { runtimeSupport } from "../internal/runtime.ts";
import { idleTimer, sleep } from "../internal/timers.ts";

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
   * Size of a body the runtime sends without telling its progress (a `Blob`, a piped stream): as
   * for a chunk pulled, the attempt's timeout is extended by the time this takes at
   * {@link SLOWEST_UPLOAD_BYTES_PER_SECOND}.
   */
  silentBytes?: number;
}

/**
 * The slowest upload a body is given time for before its attempt times out: 64 KiB/s. Every
 * `bytes` handed to the runtime (a chunk it pulled, a `Blob`) extend the idle timeout by
 * `bytes / SLOWEST_UPLOAD_BYTES_PER_SECOND` seconds.
 */
export const SLOWEST_UPLOAD_BYTES_PER_SECOND = 64 * 1024;

/** What `build` is told about the attempt it builds. */
export interface AttemptContext {
  /** 1 for the first attempt. */
  attempt: number;
  /**
   * Restarts the attempt's timeout: call it whenever the request makes progress. Given the
   * `bytes` just handed to the runtime (a chunk it pulled), it also grants the time they take at
   * {@link SLOWEST_UPLOAD_BYTES_PER_SECOND} on top.
   */
  touch: (bytes?: number) => void;
}

/**
 * What the attempts of one write, all of them (its retries, and the request sent again after a
 * token refresh), may have handed to the network. `maybeSent` becomes true once `fetch` was given
 * a body that it pulled from (or whose pulling cannot be observed: a `Blob`), and never goes back.
 */
export interface DeliveryTracker {
  maybeSent: boolean;
}

/** What {@link sendRequest} needs from the configuration. */
export interface HttpSettings {
  fetch: typeof fetch;
  retry: RetrySettings;
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
  /** Any 2xx is success, whatever its body (the import API's answers); `data` is then `null`. */
  anyBody?: boolean;
}

/** A 2xx answer: its status and its JSON (`null` when empty). */
export interface HttpResponse {
  status: number;
  data: unknown;
}

const TIMEOUT = /* @__PURE__ */ Symbol("timeout");

/**
 * Sends a request, retrying as the settings allow, and returns its JSON when the status is 2xx.
 * A write (a request with a `delivery` tracker) that got no answer after its whole body may have
 * gone out is not sent again unless `retry.resendWhenUnknown`: its NetworkError ends the request.
 * @throws ServerError (or SDKInvalidError) for an error answer, NetworkError when there was none
 *   (code `NETWORK`, `TIMEOUT` or `ABORTED`), or whatever `build` threw.
 */
export async function sendRequest(
  settings: HttpSettings,
  options: SendRequestOptions,
): Promise<HttpResponse> {
  const { what, build, signal, replayable = true, delivery } = options;
  const { retry, timeoutMs, random = Math.random } = settings;
  // The delivery a write's NetworkError carries, `undefined` for other requests.
  const deliveryNow = () => delivery && (delivery.maybeSent ? "unknown" : "not-sent");
  const aborted = () =>
    new NetworkError(`${what}: aborted`, {
      code: "ABORTED",
      retryable: false,
      cause: signal?.reason,
      delivery: deliveryNow(),
    });
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw aborted();
    let failure: DigiMeSDKError;
    const controller = new AbortController();
    const timer = idleTimer(timeoutMs, () => controller.abort(TIMEOUT));
    const touch = (bytes = 0) => timer.touch((bytes * 1000) / SLOWEST_UPLOAD_BYTES_PER_SECOND);
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    let prepared: PreparedRequest | undefined;
    let fetched = false;
    let whole = false; // this attempt's whole body may have reached digi.me
    // Called as soon as the attempt is over (a response came or it failed), before any error is made.
    const noteDelivery = () => {
      if (delivery && fetched && !delivery.maybeSent) delivery.maybeSent = prepared?.bodyPulled?.() ?? true;
    };
    try {
      prepared = await build({ attempt, touch });
      if (prepared.silentBytes) touch(prepared.silentBytes);
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
      const outcome = await readResponse(response, options);
      if (!(outcome instanceof DigiMeSDKError)) return outcome;
      failure = outcome;
      // A gateway's 502 or 504 may come after digi.me stored the file: as unknown as a lost answer.
      whole = response.status === 502 || response.status === 504;
    } catch (error) {
      if (prepared === undefined) throw error; // `build` failed: nothing was sent.
      noteDelivery();
      whole = fetched && (prepared.bodyDone?.() ?? true);
      const bodyError = prepared.bodyError?.();
      failure = signal?.aborted
        ? aborted()
        : controller.signal.reason === TIMEOUT
          ? new NetworkError(`${what}: no progress for ${timeoutMs} ms`, {
              code: "TIMEOUT",
              delivery: deliveryNow(),
            })
          : bodyError !== undefined
            ? bodyError instanceof DigiMeSDKError
              ? bodyError
              : new DigiMeSDKError(`${what}: reading the file failed`, {
                  code: "BODY_STREAM",
                  cause: bodyError,
                })
            : error instanceof DigiMeSDKError
              ? error
              : new NetworkError(`${what}: no answer (network error)`, {
                  cause: error,
                  delivery: deliveryNow(),
                });
    } finally {
      timer.stop();
      signal?.removeEventListener("abort", onAbort);
    }
    // A Retry-After is waited out as asked, never cut short: a longer one than the SDK may wait
    // ends the request with the error, whose `retryAfterMs` tells the caller when to try again.
    const { retryable, retryAfterMs } = failure as ServerError;
    if (
      !retryable ||
      !(typeof replayable === "function" ? replayable() : replayable) ||
      // A write whose whole body may have reached digi.me got no answer: it may be stored, and the
      // API has no idempotency key, so it is sent again only when the caller asked.
      (delivery && whole && !retry.resendWhenUnknown) ||
      attempt > retry.limit ||
      (retryAfterMs ?? 0) > retry.maxRetryAfterMs
    ) {
      throw failure;
    }
    if (await sleep(retryAfterMs ?? backoffDelay(attempt, retry, random), signal)) throw aborted();
  }
}

// Typed, not cast: a misspelt member fails to compile (`duplex` is not in TypeScript's RequestInit yet).
function requestInit(
  { method, headers, body, streamed }: PreparedRequest,
  signal: AbortSignal,
): RequestInit & { duplex?: "half" | undefined } {
  // Node's fetch keeps a streamed body in memory to replay it on a redirect unless told "error";
  // workerd refuses "error". With "manual", a 3xx is returned and refused in readResponse.
  // An `undefined` member is one not given (WebIDL).
  return {
    method,
    headers,
    body,
    signal,
    redirect: streamed && runtimeSupport().redirectError ? "error" : "manual",
    duplex: streamed ? "half" : undefined,
  };
}

async function readResponse(
  response: Response,
  { what, secrets, anyBody }: SendRequestOptions,
): Promise<HttpResponse | DigiMeSDKError> {
  const { status, headers } = response;
  if (response.type === "opaqueredirect" || (status >= 300 && status < 400)) {
    await response.body?.cancel().catch(() => {});
    return new ServerError(`${what}: digi.me answered a redirect (${status}), not followed`, {
      status,
      code: "UNEXPECTED_REDIRECT",
    });
  }
  const text = await response.text();
  let data: unknown = null;
  let parsed = true;
  if (text.trim()) {
    try {
      data = JSON.parse(text);
    } catch {
      parsed = false;
    }
  }
  if (response.ok) {
    return parsed || anyBody
      ? { status, data }
      : new ServerError(`${what}: digi.me answered ${status} with a body that is not JSON`, {
          status,
          code: "INVALID_RESPONSE",
        });
  }
  // The body's `error` first; without one, the same three in `X-Error-*` headers.
  const body = (data as { error?: Record<string, unknown> } | null)?.error;
  const field = (name: string): string | undefined => {
    const value = body?.[name] ?? headers.get(`x-error-${name}`);
    return typeof value === "string" && value ? redact(value, secrets) : undefined;
  };
  const code = field("code") ?? `HTTP_${status}`;
  const message = field("message");
  const reference = field("reference");
  const summary = `${what} failed: digi.me answered ${status} ${code}${message ? `: ${message}` : ""}${reference ? ` (reference ${reference})` : ""}`;
  return new (["SDKInvalid", "SDKVersionInvalid"].includes(code) ? SDKInvalidError : ServerError)(summary, {
    status,
    code,
    reference,
    retryable: isRetryStatus(status),
    retryAfterMs: parseRetryAfter(headers.get("retry-after")),
  });
}
