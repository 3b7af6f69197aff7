/**
 * A request body streamed from chunks, pulled one at a time (nothing read ahead, so memory stays
 * constant), with the bytes counted for progress and the attempt's timeout.
 */
import type { ProgressCallback } from "../types.ts";

/** A counted body and what `sendRequest` may ask about it (see `PreparedRequest`). */
export interface CountedStream {
  body: ReadableStream<Uint8Array>;
  /** The error the chunks' own source failed with, if it did. */
  bodyError: () => unknown;
  /** Whether the runtime has pulled anything yet. */
  bodyPulled: () => boolean;
  /** Whether the runtime has pulled the whole body. */
  bodyDone: () => boolean;
}

/**
 * Streams `chunks`: `touch(bytes)` for every chunk pulled (its size, which buys the attempt time:
 * see `SLOWEST_UPLOAD_BYTES_PER_SECOND`), `onProgress(sent, length)` as they are sent.
 * Cancelling the body returns the iterator (which cancels its source).
 */
export function countedStream(
  chunks: AsyncIterator<Uint8Array>,
  options: {
    touch?: (bytes: number) => void;
    onProgress?: ProgressCallback | undefined;
    length?: number | undefined;
  },
): CountedStream {
  const { touch, onProgress, length } = options;
  let sent = 0;
  let pulled = false;
  let done = false;
  let failure: unknown;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        pulled = true;
        for (;;) {
          let next: IteratorResult<Uint8Array>;
          try {
            next = await chunks.next();
          } catch (error) {
            failure = error;
            throw error;
          }
          if (next.done) {
            done = true;
            return controller.close();
          }
          const { length: bytes } = next.value;
          if (bytes > 0) {
            controller.enqueue(next.value);
            sent += bytes;
            touch?.(bytes);
            onProgress?.(sent, length);
            return;
          }
        }
      },
      async cancel(reason) {
        await chunks.return?.(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { body, bodyError: () => failure, bodyPulled: () => pulled, bodyDone: () => done };
}
