/**
 * What both upload routes share (`POST /api/files` and `POST /api/sealed-files`): the size rules,
 * admission through the user's vault (rate and a fresh token), and one upload's plumbing: its first
 * failure, the body handed to sdk-core whole or as a stream, the abort of the digi.me request when
 * the incoming body turns out bad, and token refreshes through the vault.
 */
import type { TokenValue, UserAccessToken } from "@digime-edge/sdk-core";
import type { Context } from "hono";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import type { BodyChunksOptions } from "./body-chunks";
import { describeDigiMeFailure, failureToError } from "./digime";
import { vaultFor } from "./session";
import { LEASE_RENEW_MS } from "./upload-leases";
import type { WriteGrant } from "./vault-tokens";

/** What an upload route answers on success. */
export interface UploadResult {
  /**
   * `delivered`: in the user's library. (digi.me's `pending`, an expired token that stored nothing,
   * is never answered as a success: it is 503 `TOKEN_REFRESHED_RETRY`.)
   */
  status: "delivered";
  /** `expires` as digi.me answered it (postbox write API; an import's answer has none). */
  expires?: number;
  /** The file name as sent on (sanitised). */
  fileName: string;
  /** Size of the file in bytes (for a sealed upload: of the encrypted body, all the Worker sees). */
  bytes: number;
}

/**
 * A body of at most this many bytes is read whole before it is sent on, so that sdk-core can send
 * it again by itself when digi.me asks for a token refresh. Larger (or unsized) bodies stream;
 * after such a refresh they answer 503 `TOKEN_REFRESHED_RETRY`.
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
 * 200 for a write digi.me reported `delivered`; anything else (`pending`: digi.me found the token
 * expired even after sdk-core refreshed it and sent once more, and stored nothing) is 503
 * `TOKEN_REFRESHED_RETRY`, so that no caller mistakes it for a stored file.
 *
 * @param status - The write's status as digi.me answered it.
 */
export function requireDelivered(status: "delivered" | "pending"): "delivered" {
  if (status === "delivered") return status;
  throw new ApiError(
    503,
    "TOKEN_REFRESHED_RETRY",
    "digi.me did not take the file (its sign-in had expired again); send the file again",
    { headers: { "Retry-After": "0" } },
  );
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

/**
 * What the isolate hands sdk-core as the user's refresh token: a stand-in, never the real one, which
 * stays in the user's vault. sdk-core's `UserAccessToken` needs one; every upload passes the
 * `refresh` hook ({@link UploadRun.refresher}), so sdk-core asks the vault and never sends this.
 */
export const REFRESH_TOKEN_STAND_IN = "kept-in-the-user-vault";

/** sdk-core's token for a write: the vault's access token, and the stand-in refresh token. */
export function tokenForWrite(accessToken: TokenValue): UserAccessToken {
  return { accessToken, refreshToken: { value: REFRESH_TOKEN_STAND_IN, expiry: accessToken.expiry } };
}

/** An admitted write: its grant, and the user's upload slot, held until {@link AdmittedWrite.release}. */
export interface AdmittedWrite extends Omit<WriteGrant, "leaseId" | "accessToken"> {
  /** For sdk-core: the fresh access token, and no refresh token (see {@link REFRESH_TOKEN_STAND_IN}). */
  token: UserAccessToken;
  /** Gives the upload slot back; call it at every end of the upload (idempotent, never throws). */
  release(): Promise<void>;
}

/**
 * Admits one write for the signed-in user: takes one of the user's upload slots
 * (`MAX_CONCURRENT_UPLOADS`) and from the rate budget, and answers a token that is fresh now
 * (refreshed single-flight in the vault) with the postbox credentials. The slot is renewed while
 * the upload runs; the caller releases it in a `finally`. Should this invocation be cut off before
 * it can, the slot lapses within a minute (see `lib/upload-leases.ts`).
 *
 * @param c - The request context (after `withConfig` and `requireSession`).
 * @param wrappedKeyBytes - For a sealed upload: the wrapped key's size, checked against the postbox
 *   key before anything else is spent (400 `BAD_SYMMETRICAL_KEY`).
 * @throws ApiError 401, 403, 400, 429 or a digi.me failure of the refresh.
 */
export async function admitWrite(c: Context<AppEnv>, wrappedKeyBytes?: number): Promise<AdmittedWrite> {
  const config = c.get("config");
  const vault = vaultFor(c.env, c.get("userId"));
  const grant = await vault.acquireWrite({
    ratePerMinute: config.rateLimitPerMinute,
    maxConcurrent: config.maxConcurrentUploads,
    ...(wrappedKeyBytes === undefined ? {} : { wrappedKeyBytes }),
  });
  if (!grant.ok) throw failureToError(grant);
  const { leaseId } = grant;
  const renewal = setInterval(() => {
    vault.renewWrite(leaseId).catch(() => {});
  }, LEASE_RENEW_MS);
  let released: Promise<void> | undefined;
  return {
    token: tokenForWrite(grant.accessToken),
    postboxId: grant.postboxId,
    publicKey: grant.publicKey,
    accountReference: grant.accountReference,
    release: () => {
      clearInterval(renewal);
      released ??= vault.releaseWrite(leaseId).catch(() => {});
      return released;
    },
  };
}

/**
 * The postbox of an admitted write, for the postbox sinks (the vault admits a postbox write only
 * with one, so this never throws there).
 *
 * @param grant - The admitted write.
 * @throws ApiError 403 `CANNOT_WRITE` when the grant has no postbox.
 */
export function postboxOf(grant: AdmittedWrite): { postboxId: string; publicKey: string } {
  const { postboxId, publicKey } = grant;
  if (!postboxId || !publicKey)
    throw new ApiError(403, "CANNOT_WRITE", "this sign-in gave no postbox to write to");
  return { postboxId, publicKey };
}

/** Options of {@link UploadRun}. */
export interface UploadRunOptions {
  /** Turns what went wrong into the answer (default: a digi.me failure). */
  toError?: (error: unknown) => ApiError;
  /** Stops reading the incoming body. */
  cancel: (reason?: unknown) => Promise<void>;
}

/**
 * One upload on its way to digi.me. The first failure wins: a bad incoming body (too large,
 * malformed) reaches sdk-core only as some transport error, so it is remembered here and answered
 * instead of what sdk-core says.
 */
export class UploadRun {
  /** Aborts the digi.me request (a body found bad mid-way must never complete a write). */
  readonly upstream = new AbortController();
  /** Bytes of the body read so far. */
  bytes = 0;
  #failure: ApiError | undefined;
  readonly #toError: (error: unknown) => ApiError;
  readonly #cancel: (reason?: unknown) => Promise<void>;

  /** @param options - How failures become answers, and how to stop reading the body. */
  constructor(options: UploadRunOptions) {
    this.#toError = options.toError ?? ((error) => failureToError(describeDigiMeFailure(error, true)));
    this.#cancel = options.cancel;
  }

  /**
   * Records a failure (the first one wins) and answers the error to throw.
   *
   * @param error - What went wrong.
   */
  fail(error: unknown): ApiError {
    this.#failure ??= error instanceof ApiError ? error : this.#toError(error);
    return this.#failure;
  }

  /**
   * After a failed digi.me call: stops reading the body and answers the first failure.
   *
   * @param error - What sdk-core threw.
   */
  async failed(error: unknown): Promise<ApiError> {
    await this.#cancel().catch(() => {});
    return this.fail(error);
  }

  /**
   * The whole body as bytes (only for small bodies: see {@link REPLAYABLE_BYTES}).
   *
   * @param chunks - The body's chunks; they throw to refuse the body.
   */
  async collect(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array<ArrayBuffer>> {
    const parts: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of chunks) {
        parts.push(chunk);
        size += chunk.byteLength;
      }
    } catch (error) {
      throw await this.failed(error);
    }
    const out = new Uint8Array(size);
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.byteLength;
    }
    return out;
  }

  /**
   * The body as a stream for sdk-core, pulled chunk by chunk. When `chunks` throws (the body is bad),
   * the digi.me request is aborted rather than this stream errored: an error travelling down
   * sdk-core's stream pipes is reported by workerd as an uncaught rejection. The aborted request
   * cancels this stream; until then it stays open and never ends, so digi.me never gets a whole body.
   *
   * @param chunks - The body's chunks; they throw to refuse the body.
   */
  stream(chunks: AsyncIterator<Uint8Array>): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          try {
            const next = await chunks.next();
            if (next.done) controller.close();
            else controller.enqueue(next.value);
          } catch (error) {
            this.fail(error);
            this.upstream.abort();
            await this.#cancel().catch(() => {});
            return new Promise<void>(() => {});
          }
        },
        cancel: async (reason) => {
          await this.#cancel(reason).catch(() => {});
        },
      },
      { highWaterMark: 0 },
    );
  }

  /**
   * Sends the write and answers what the route answers: a file digi.me reported `delivered`
   * (else {@link requireDelivered}'s error), or this upload's first failure.
   *
   * @param fileName - The file name as sent on.
   * @param send - The sdk-core call (with {@link UploadRun.upstream} and {@link UploadRun.refresher}).
   */
  async deliver(
    fileName: string,
    send: () => Promise<{ status: "delivered" | "pending"; expires?: number }>,
  ): Promise<UploadResult> {
    try {
      const result = await send();
      return {
        status: requireDelivered(result.status),
        ...(result.expires === undefined ? {} : { expires: result.expires }),
        fileName,
        bytes: this.bytes,
      };
    } catch (error) {
      throw await this.failed(error);
    }
  }

  /**
   * sdk-core's `refresh` option: digi.me found the token stale after all, so refresh it through the
   * vault (single-flight, stored before use), which answers only the new access token. A failed
   * refresh is this upload's answer.
   *
   * @param c - The request context.
   */
  refresher(c: Context<AppEnv>): (stale: UserAccessToken) => Promise<UserAccessToken> {
    const vault = vaultFor(c.env, c.get("userId"));
    return async (stale) => {
      const refreshed = await vault.refresh(stale.accessToken.value);
      if (!refreshed.ok) throw this.fail(failureToError(refreshed));
      return tokenForWrite(refreshed.accessToken);
    };
  }
}
