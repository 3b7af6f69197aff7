/**
 * Reads a request body in few large chunks. workerd hands an incoming body over in pieces of about
 * 4 KiB: a 4 MiB upload is a thousand reads, and every JavaScript stream it then passes through
 * (counting, multipart framing, encryption) pays per piece. Reading with a BYOB reader, and
 * workerd's `readAtLeast` where it exists, makes it a handful of reads.
 */

/** Size of the chunks a body is read in. */
export const READ_CHUNK_BYTES = 256 * 1024;

type AtLeastReader = ReadableStreamBYOBReader & {
  /** workerd: resolves once at least `min` bytes were read into `view`, or at the end. */
  readAtLeast?: (min: number, view: Uint8Array) => Promise<ReadableStreamReadResult<Uint8Array>>;
};

/** Options of {@link readBodyChunks}. */
export interface BodyChunksOptions {
  /**
   * Longest wait for one chunk (or the rest of the body), in ms; no limit when absent. A body
   * slower than that (stalled, or trickled in a few bytes at a time) is cancelled and its reading
   * fails with `onTimeout()`: nothing else bounds how long a client may take to send a body.
   */
  chunkTimeoutMs?: number | undefined;
  /** The error a chunk that took too long fails with. */
  onTimeout?: () => Error;
}

/** A body read in large chunks: the chunks, and how to stop reading. */
export interface BodyChunks {
  /** The body's chunks: up to `size` bytes each, all but the last exactly `size` where the runtime can. */
  chunks: AsyncGenerator<Uint8Array>;
  /** Stops reading and releases the body. */
  cancel(reason?: unknown): Promise<void>;
}

/**
 * Reads `body` in chunks of up to `size` bytes: with a BYOB reader (`readAtLeast` in workerd) when
 * the stream is a byte stream, as it comes otherwise. Every chunk is a fresh buffer, safe to keep.
 *
 * @param body - A request body.
 * @param size - The chunk size (default {@link READ_CHUNK_BYTES}).
 * @param options - A time limit per chunk (see {@link BodyChunksOptions}).
 */
export function readBodyChunks(
  body: ReadableStream<Uint8Array>,
  size = READ_CHUNK_BYTES,
  options: BodyChunksOptions = {},
): BodyChunks {
  let byob: AtLeastReader | undefined;
  let plain: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    byob = body.getReader({ mode: "byob" }) as AtLeastReader;
  } catch {
    plain = body.getReader();
  }
  const reader = (byob ?? plain) as ReadableStreamBYOBReader | ReadableStreamDefaultReader<Uint8Array>;

  const read = (): Promise<ReadableStreamReadResult<Uint8Array>> => {
    if (!byob) return (plain as ReadableStreamDefaultReader<Uint8Array>).read();
    const view = new Uint8Array(size);
    return byob.readAtLeast ? byob.readAtLeast(size, view) : byob.read(view);
  };
  const { chunkTimeoutMs, onTimeout = () => new Error("the body took too long") } = options;

  async function* chunks(): AsyncGenerator<Uint8Array> {
    // The time limit holds per `size` bytes, however the runtime hands them over: one read with
    // `readAtLeast`, many small ones otherwise (so a body trickled in byte by byte cannot dodge it).
    // Only time spent waiting for the client counts, not time the consumer took between reads.
    let waited = 0;
    let windowBytes = 0;
    for (;;) {
      const start = Date.now();
      const result =
        chunkTimeoutMs === undefined ? await read() : await withinTime(read(), chunkTimeoutMs - waited);
      waited += Date.now() - start;
      const bytes = result.value?.byteLength ?? 0;
      windowBytes += bytes;
      if (windowBytes >= size) {
        waited = 0;
        windowBytes = 0;
      }
      if (result.value && bytes > 0) yield result.value;
      if (result.done) return;
    }
  }

  async function withinTime<T>(pending: Promise<T>, ms: number): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(onTimeout()), Math.max(0, ms));
    });
    try {
      return await Promise.race([pending, late]);
    } catch (error) {
      await reader.cancel(error).catch(() => {});
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
  return {
    chunks: chunks(),
    cancel: (reason) => reader.cancel(reason).catch(() => {}),
  };
}

/**
 * `body` as a stream of large chunks (see {@link readBodyChunks}), for readers that take a stream.
 *
 * @param body - A request body.
 * @param size - The chunk size (default {@link READ_CHUNK_BYTES}).
 * @param options - A time limit per chunk (see {@link BodyChunksOptions}).
 */
export function inLargeChunks(
  body: ReadableStream<Uint8Array>,
  size = READ_CHUNK_BYTES,
  options: BodyChunksOptions = {},
): ReadableStream<Uint8Array> {
  const { chunks, cancel } = readBodyChunks(body, size, options);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      cancel,
    },
    { highWaterMark: 0 },
  );
}
