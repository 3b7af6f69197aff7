/**
 * The body of an import: the file's bytes as they are, one request body per attempt. Bytes and
 * Blobs can be sent again; a stream or async iterable once (where uploads cannot stream, it is
 * gathered into a `Blob` first, which can then be sent again).
 */

import { collectBlob, slices, withKnownLength } from "../internal/chunks.ts";
import { countedStream } from "../internal/counted-stream.ts";
import type { FileSource } from "../internal/file-data.ts";
import { nativeLength } from "../internal/native-pipe.ts";
import type { ProgressCallback } from "../types.ts";
import type { AttemptContext, PreparedRequest } from "./send.ts";

/** The part of a request that {@link RawBody.next} makes. */
export type RawBodyRequest = Pick<
  PreparedRequest,
  "body" | "streamed" | "bodyError" | "bodyPulled" | "bodyDone" | "silentBytes"
> & { headers?: Record<string, string> };

/** One file's bodies, attempt after attempt. */
export interface RawBody {
  /** Whether another attempt can get a whole body (false once a stream went out). */
  canResend: () => boolean;
  /** The body of the next attempt. */
  next: (attempt: AttemptContext) => Promise<RawBodyRequest>;
  /** Reports the whole size when the body went in one go (a runtime tells no progress of it). */
  sent: () => void;
}

/**
 * The bodies of `source`, streamed (`stream`) or as bytes or a `Blob`.
 *
 * @param file - The caller's `fileData` itself: a stream marked by `pipeNatively` with its length
 *   is sent as it is with that `Content-Length` (workerd pipes it into a `FixedLengthStream`: no
 *   JavaScript per chunk); progress is then told once, by `sent`.
 */
export function rawBody(
  source: FileSource,
  stream: boolean,
  onProgress?: ProgressCallback,
  file?: unknown,
): RawBody {
  let gathered: Blob | undefined;
  let spent = false;
  let silent: number | undefined;
  return {
    canResend: () => !spent,
    sent: () => {
      if (silent !== undefined) onProgress?.(silent, silent);
    },
    async next({ touch }): Promise<RawBodyRequest> {
      if (!stream) {
        if (source.kind !== "bytes") gathered ??= await collectBlob(source.chunks(), touch);
        const body = gathered ?? (source as { bytes: Uint8Array<ArrayBuffer> }).bytes;
        silent = body instanceof Blob ? body.size : body.length;
        return { body, silentBytes: silent };
      }
      if (!source.replayable) spent = true;
      // A marked stream of known length goes as it is, piped by the runtime: no pull per chunk here.
      const native = nativeLength(file);
      const size = native ?? source.size;
      const counted = native
        ? { body: file as ReadableStream<Uint8Array> }
        : countedStream(source.kind === "bytes" ? slices(source.bytes) : source.chunks(), {
            touch,
            onProgress,
            length: size,
          });
      silent = native;
      return {
        ...counted,
        body: withKnownLength(counted.body, size),
        streamed: true,
        silentBytes: silent,
        headers: size === undefined ? undefined : { "Content-Length": String(size) },
      };
    },
  };
}
