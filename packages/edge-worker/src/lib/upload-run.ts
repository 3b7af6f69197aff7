/**
 * One upload's plumbing: its first failure, the body handed to sdk-core whole or as a stream, the
 * abort of the digi.me request when the incoming body turns out bad, token refreshes through the
 * vault, and the route's answer.
 */
import type { UserAccessToken } from "@digime-edge/sdk-core";
import { concatBytes } from "@digime-edge/sdk-core/internal";
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { tokenForWrite } from "./admit-write.ts";
import { describeDigiMeFailure, failureToError } from "./digime.ts";
import { vaultFor } from "./session.ts";

/** What an upload route returns on success. */
export interface UploadResult {
  /**
   * `delivered`: in the user's library. (digi.me's `pending`, an expired token that stored nothing,
   * is never reported as a success: it is 503 `TOKEN_REFRESHED_RETRY`.)
   */
  status: "delivered";
  /** `expires` as digi.me returned it (postbox write API; an import's answer has none). */
  expires?: number;
  /** The file name as sent on (sanitised). */
  fileName: string;
  /** Size of the file in bytes (for a sealed upload: of the encrypted body, all the Worker sees). */
  bytes: number;
}

/**
 * 200 for a write digi.me reported `delivered`; anything else (`pending`: digi.me found the token
 * expired even after sdk-core refreshed it and sent once more, and stored nothing) is 503
 * `TOKEN_REFRESHED_RETRY`, so that no caller mistakes it for a stored file.
 *
 * @param status - The write's status as digi.me reported it.
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

/** Options of {@link UploadRun}. */
export interface UploadRunOptions {
  /** Turns what went wrong into the answer (default: a digi.me failure). */
  toError?: (error: unknown) => ApiError;
  /** Stops reading the incoming body. */
  cancel: (reason?: unknown) => Promise<void>;
}

/**
 * One upload on its way to digi.me. The first failure wins: a bad incoming body (too large,
 * malformed) reaches sdk-core only as some transport error, so it is remembered here and reported
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
   * Records a failure (the first one wins) and returns the error to throw.
   *
   * @param error - What went wrong.
   */
  fail(error: unknown): ApiError {
    this.#failure ??= error instanceof ApiError ? error : this.#toError(error);
    return this.#failure;
  }

  /**
   * After a failed digi.me call: stops reading the body and returns the first failure.
   *
   * @param error - What sdk-core threw.
   */
  async failed(error: unknown): Promise<ApiError> {
    await this.#cancel().catch(() => {});
    return this.fail(error);
  }

  /**
   * The whole body as bytes (only for small bodies: see `REPLAYABLE_BYTES` in `lib/upload.ts`).
   *
   * @param chunks - The body's chunks; they throw to refuse the body.
   */
  async collect(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array<ArrayBuffer>> {
    const parts: Uint8Array[] = [];
    try {
      for await (const chunk of chunks) parts.push(chunk);
    } catch (error) {
      throw await this.failed(error);
    }
    return concatBytes(...parts);
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
   * Sends the write and returns what the route responds with: a file digi.me reported `delivered`
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
   * vault (single-flight, stored before use), which returns only the new access token. A failed
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
