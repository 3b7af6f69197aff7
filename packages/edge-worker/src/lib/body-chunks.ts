/**
 * Reads a request body in few large chunks. workerd hands an incoming body over in pieces of about
 * 4 KiB: a 4 MiB upload is a thousand reads, and every JavaScript stream it then passes through
 * (counting, multipart framing, encryption) pays per piece. Reading with a BYOB reader, and
 * workerd's `readAtLeast` where it exists, makes it a handful of reads.
 */

/** Size of the chunks a body is read in. */
export const READ_CHUNK_BYTES = 256 * 1024;

/**
 * Size of the chunks of a large body of a declared length, which is piped on as it comes: a read,
 * a check and a write per MiB cost the Worker's JavaScript about nothing next to the bytes.
 */
export const DECLARED_READ_BYTES = 1024 * 1024;

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
  /**
   * Slowest average rate of the body after `graceMs`, in bytes per second; no minimum when
   * absent. Counted over the time spent waiting for the body, one chunk in flight allowed (a read
   * shows its bytes only once it has them all): a body slower than that is cancelled and its
   * reading fails with `onTooSlow()`. This bounds how long an upload may last, which the
   * per-chunk limit alone does not: a body may drip one chunk per `chunkTimeoutMs` forever.
   */
  minBytesPerSecond?: number | undefined;
  /** How long the body may come at any rate before `minBytesPerSecond` applies, in ms (default 0). */
  graceMs?: number | undefined;
  /** The error a body below `minBytesPerSecond` fails with. */
  onTooSlow?: () => Error;
  /**
   * One time limit for the whole body instead of the limits above, which take a timer per read
   * (see {@link bodyDeadline}): a body not read whole by then is cancelled and its reading fails
   * with `deadline.late()`.
   */
  deadline?: BodyDeadline | undefined;
}

/** How long a whole body may take, and the error when it takes longer. */
export interface BodyDeadline {
  /** Milliseconds from the first read. */
  ms: number;
  /** The error a body that is not in by then fails with. */
  late: () => Error;
}

/**
 * The one deadline of a body of `declared` bytes under the per-chunk and average-rate limits of
 * `options`: the earlier of the times each allows a body of that size, with the error of that
 * limit. A body that keeps to both limits is always in by then; it is checked once, at the end,
 * rather than at every read (the rate per 256 KiB is then an average over the whole body).
 *
 * @param declared - The body's `Content-Length`.
 * @param options - The body's limits (`chunkTimeoutMs` is per {@link READ_CHUNK_BYTES}).
 */
export function bodyDeadline(declared: number, options: BodyChunksOptions): BodyDeadline {
  const { chunkTimeoutMs, minBytesPerSecond, graceMs = 0 } = options;
  const byChunks =
    chunkTimeoutMs === undefined
      ? Number.POSITIVE_INFINITY
      : Math.max(1, Math.ceil(declared / READ_CHUNK_BYTES)) * chunkTimeoutMs;
  const byRate =
    minBytesPerSecond === undefined
      ? Number.POSITIVE_INFINITY
      : Math.max(graceMs, (declared / minBytesPerSecond) * 1000);
  return byChunks <= byRate
    ? { ms: byChunks, late: options.onTimeout ?? (() => new Error("the body took too long")) }
    : { ms: byRate, late: options.onTooSlow ?? (() => new Error("the body came too slowly")) };
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
  const {
    chunkTimeoutMs,
    onTimeout = () => new Error("the body took too long"),
    minBytesPerSecond,
    graceMs = 0,
    onTooSlow = () => new Error("the body came too slowly"),
  } = options;

  const { deadline } = options;
  let late: Error | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const startDeadline = () => {
    if (!deadline || timer !== undefined || !Number.isFinite(deadline.ms)) return;
    timer = setTimeout(() => {
      late = deadline.late();
      reader.cancel(late).catch(() => {});
    }, deadline.ms);
  };

  const stopDeadline = () => {
    if (timer !== undefined) clearTimeout(timer);
  };

  async function* withinDeadline(): AsyncGenerator<Uint8Array> {
    startDeadline();
    try {
      for (;;) {
        const result = await read().catch((error: unknown) => {
          throw late ?? error;
        });
        // A cancelled read ends as if the body had: the deadline's error tells it apart.
        if (late) throw late;
        if (result.value && result.value.byteLength > 0) yield result.value;
        if (result.done) return;
      }
    } finally {
      stopDeadline();
    }
  }

  async function* chunks(): AsyncGenerator<Uint8Array> {
    if (deadline) return yield* withinDeadline();
    // The time limit holds per `size` bytes, however the runtime hands them over: one read with
    // `readAtLeast`, many small ones otherwise (so a body trickled in byte by byte cannot dodge it).
    // Only time spent waiting for the client counts, not time the consumer took between reads.
    let waited = 0;
    let windowBytes = 0;
    // For the average rate: all the time waited and all the bytes read.
    let waitedTotal = 0;
    let total = 0;
    for (;;) {
      const chunkLeft = chunkTimeoutMs === undefined ? Number.POSITIVE_INFINITY : chunkTimeoutMs - waited;
      // By when this read must end for the average, the chunk it waits for included, to hold.
      const rateLeft =
        minBytesPerSecond === undefined
          ? Number.POSITIVE_INFINITY
          : Math.max(graceMs, ((total + size) / minBytesPerSecond) * 1000) - waitedTotal;
      const start = Date.now();
      const result =
        chunkLeft === Number.POSITIVE_INFINITY && rateLeft === Number.POSITIVE_INFINITY
          ? await read()
          : await withinTime(
              read(),
              Math.min(chunkLeft, rateLeft),
              chunkLeft <= rateLeft ? onTimeout : onTooSlow,
            );
      const took = Date.now() - start;
      waited += took;
      waitedTotal += took;
      const bytes = result.value?.byteLength ?? 0;
      windowBytes += bytes;
      total += bytes;
      if (windowBytes >= size) {
        waited = 0;
        windowBytes = 0;
      }
      if (result.value && bytes > 0) yield result.value;
      if (result.done) return;
    }
  }

  async function withinTime<T>(pending: Promise<T>, ms: number, late: () => Error): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(late()), Math.max(0, ms));
    });
    try {
      return await Promise.race([pending, expired]);
    } catch (error) {
      await reader.cancel(error).catch(() => {});
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
  return {
    chunks: chunks(),
    cancel: (reason) => {
      stopDeadline();
      return reader.cancel(reason).catch(() => {});
    },
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
