import { Hono } from "hono";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { completeDescriptor, type DescriptorInput, parseDescriptor } from "../lib/descriptor";
import { contractDetails, describeDigiMeFailure, failureToError, getSdk } from "../lib/digime";
import { sanitizeFileName } from "../lib/file-name";
import { getBoundary, MultipartError, MultipartReader } from "../lib/multipart";
import { vaultFor } from "../lib/session";
import { originCheck } from "../middleware/origin-check";
import { requireSession } from "../middleware/session";

/** What `POST /api/files` answers on success. */
export interface UploadResult {
  /** `delivered`: in the user's library; `pending`: digi.me holds it back. */
  status: "delivered" | "pending";
  /** `expires` as digi.me answered it. */
  expires: number;
  /** The file name as sent on (sanitised). */
  fileName: string;
  /** Size of the file in bytes. */
  bytes: number;
}

/** Room for the multipart framing and small fields on top of `MAX_UPLOAD_BYTES`. */
export const FRAMING_ALLOWANCE = 64 * 1024;
/** Largest `fileDescriptor` part. */
export const MAX_DESCRIPTOR_BYTES = 16 * 1024;
/**
 * A request whose `Content-Length` is at most this is read whole before it is sent on, so that
 * sdk-core can seal and send it again by itself when digi.me asks for a token refresh. Larger (or
 * unsized) uploads stream; after such a refresh they answer 503 `TOKEN_REFRESHED_RETRY`.
 */
export const REPLAYABLE_BYTES = 1024 * 1024;

const tooLarge = (limit: number) =>
  new ApiError(413, "PAYLOAD_TOO_LARGE", `the file is larger than the limit of ${limit} bytes`);

function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof MultipartError)
    return new ApiError(400, "BAD_MULTIPART", `malformed multipart body: ${error.message}`);
  return failureToError(describeDigiMeFailure(error));
}

/**
 * `POST /api/files`: `multipart/form-data` with an optional `fileDescriptor` part (JSON) and a `file`
 * part. The file streams from the request through sdk-core's envelope to digi.me; it is never held
 * whole. For that, `fileDescriptor` must come before `file` (a descriptor after the file is refused
 * with 400 `DESCRIPTOR_AFTER_FILE`, and nothing is delivered). The upload only completes once the
 * rest of the form has been read and found acceptable.
 */
export const files = new Hono<AppEnv>().post("/files", originCheck(), requireSession(), async (c) => {
  const config = c.get("config");
  const userId = c.get("userId");
  const limit = config.maxUploadBytes;

  const declared = c.req.header("Content-Length");
  if (declared !== undefined && Number(declared) > limit + FRAMING_ALLOWANCE) throw tooLarge(limit);
  const boundary = getBoundary(c.req.header("Content-Type"));
  if (!boundary) throw new ApiError(400, "BAD_MULTIPART", "send multipart/form-data with a boundary");
  const body = c.req.raw.body;
  if (!body) throw new ApiError(400, "MISSING_FILE", "the form has no file part");

  const vault = vaultFor(c.env, userId);
  const grant = await vault.acquireWrite({ ratePerMinute: config.rateLimitPerMinute });
  if (!grant.ok) throw failureToError(grant);

  // The first failure wins: a failing body stream reaches sdk-core as some transport error.
  let failure: ApiError | undefined;
  const fail = (error: unknown) => {
    failure ??= asApiError(error);
    return failure;
  };
  const reader = new MultipartReader(body, boundary, {
    maxBytes: limit + FRAMING_ALLOWANCE,
    tooLarge: () => tooLarge(limit),
  });

  let descriptor: DescriptorInput | undefined;
  let file: { filename: string | undefined; contentType: string | undefined } | undefined;
  try {
    for (let part = await reader.next(); part; part = await reader.next()) {
      if (part.name === "file") {
        file = part;
        break;
      }
      if (part.name === "fileDescriptor") {
        if (descriptor) throw new ApiError(400, "BAD_DESCRIPTOR", "send one fileDescriptor part");
        const text = await reader.text(MAX_DESCRIPTOR_BYTES);
        if (text === undefined) throw new ApiError(400, "BAD_DESCRIPTOR", "fileDescriptor is too large");
        const parsed = parseDescriptor(text);
        if (!parsed.ok) throw new ApiError(400, "BAD_DESCRIPTOR", parsed.message);
        descriptor = parsed.value;
      }
      // Any other field is skipped by `reader.next()`.
    }
  } catch (error) {
    await reader.cancel();
    throw failure ?? asApiError(error);
  }
  if (!file) throw new ApiError(400, "MISSING_FILE", "the form has no file part");

  const fileName = sanitizeFileName(file.filename);
  const fileDescriptor = completeDescriptor(descriptor, file.contentType, userId);
  let bytes = 0;
  // The file's chunks, counted; at its end the rest of the form is read and checked before the
  // last chunk is handed on, so a bad form never completes an upload.
  async function* fileChunks(): AsyncGenerator<Uint8Array> {
    for await (const chunk of reader.body()) {
      bytes += chunk.byteLength;
      if (bytes > limit) throw tooLarge(limit);
      yield chunk;
    }
    for (let part = await reader.next(); part; part = await reader.next()) {
      if (part.name === "fileDescriptor") {
        throw new ApiError(400, "DESCRIPTOR_AFTER_FILE", "send the fileDescriptor part before the file part");
      }
      if (part.name === "file") throw new ApiError(400, "BAD_MULTIPART", "send one file part");
    }
  }

  const upstream = new AbortController();
  let data: ReadableStream<Uint8Array> | Uint8Array;
  if (declared !== undefined && Number(declared) <= REPLAYABLE_BYTES) {
    try {
      const parts: Uint8Array[] = [];
      for await (const chunk of fileChunks()) parts.push(chunk);
      data = new Uint8Array(bytes);
      let at = 0;
      for (const part of parts) {
        data.set(part, at);
        at += part.byteLength;
      }
    } catch (error) {
      await reader.cancel();
      throw fail(error);
    }
  } else {
    const chunks = fileChunks();
    data = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            const next = await chunks.next();
            if (next.done) controller.close();
            else controller.enqueue(next.value);
          } catch (error) {
            // Abort the digi.me request rather than error this stream: an error travelling down
            // sdk-core's stream pipes is reported by workerd as an uncaught rejection. The aborted
            // request cancels this stream; until then it stays open and never ends.
            fail(error);
            upstream.abort();
            await reader.cancel();
            return new Promise<void>(() => {});
          }
        },
        async cancel(reason) {
          await reader.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
  }

  try {
    const result = await getSdk(config).write({
      contractDetails: contractDetails(config),
      userAccessToken: grant.token,
      postboxId: grant.postboxId,
      publicKey: grant.publicKey,
      data: { fileData: data, fileName, fileDescriptor },
      signal: upstream.signal,
      // digi.me found the token stale after all: refresh through the vault (single-flight, stored first).
      refresh: async (stale) => {
        const refreshed = await vault.refresh(stale.accessToken.value);
        if (!refreshed.ok) throw fail(failureToError(refreshed));
        return refreshed.token;
      },
    });
    return c.json({ status: result.status, expires: result.expires, fileName, bytes } satisfies UploadResult);
  } catch (error) {
    await reader.cancel();
    throw failure ?? asApiError(error);
  }
});
