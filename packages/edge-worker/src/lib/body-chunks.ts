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
   * Longest wait for each {@link READ_CHUNK_BYTES} of the body (or its rest), in ms; no limit when
   * absent. A body slower than that (stalled, or trickled in a few bytes at a time) is cancelled and
   * its reading fails with `onTimeout()`: nothing else bounds how long a client may take to send a
   * body. Only time spent waiting for the client counts, not time the consumer took between reads.
   */
  chunkTimeoutMs?: number | undefined;
  /** The error a chunk that took too long fails with. */
  onTimeout?: () => Error;
  /**
   * Slowest average rate of the body after `graceMs`, in bytes per second; no minimum when
   * absent. Counted over the time spent waiting for the body, one {@link READ_CHUNK_BYTES} in
   * flight allowed (a read shows its bytes only once it has them): a body slower than that is
   * cancelled and its reading fails with `onTooSlow()`. This bounds how long an upload may last,
   * which the per-chunk limit alone does not: a body may drip one chunk per `chunkTimeoutMs` forever.
   */
  minBytesPerSecond?: number | undefined;
  /** How long the body may come at any rate before `minBytesPerSecond` applies, in ms (default 0). */
  graceMs?: number | undefined;
  /** The error a body below `minBytesPerSecond` fails with. */
  onTooSlow?: () => Error;
  /**
   * A time limit for the whole body on top of the limits above (see {@link bodyDeadline}): a body
   * not read whole by then is cancelled and its reading fails with `deadline.late()`.
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
 * The deadline of a whole body of `declared` bytes under the per-chunk and average-rate limits of
 * `options`: the earlier of the times each allows a body of that size, with the error of that
 * limit. A body that keeps to both limits is always in by then; the limits themselves still hold
 * as it comes (a stall is found after `chunkTimeoutMs`, not at the deadline).
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
  /** The body's chunks: up to `size` bytes each (at least {@link READ_CHUNK_BYTES} but the last, where the runtime can). */
  chunks: AsyncGenerator<Uint8Array>;
  /** Stops reading and releases the body. */
  cancel(reason?: unknown): Promise<void>;
}

/**
 * Reads `body` in chunks of up to `size` bytes: with a BYOB reader (`readAtLeast` in workerd) when
 * the stream is a byte stream, as it comes otherwise. Every chunk is a fresh buffer, safe to keep.
 *
 * The limits of `options` are kept by one timer for the whole body, not one per read: a read only
 * notes when it began and what it brought; when the timer is due it works out, from those, whether
 * a limit is spent (then the body is cancelled and the pending read fails with that limit's error)
 * or when the next one could be, and sets itself for then. With a per-chunk limit a read returns
 * once it has {@link READ_CHUNK_BYTES} (up to `size` if more has come), so that a body stalled after
 * any 256 KiB is seen as such after `chunkTimeoutMs`.
 *
 * @param body - A request body.
 * @param size - The chunk size (default {@link READ_CHUNK_BYTES}).
 * @param options - The body's time limits (see {@link BodyChunksOptions}).
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

  const {
    chunkTimeoutMs,
    onTimeout = () => new Error("the body took too long"),
    minBytesPerSecond,
    graceMs = 0,
    onTooSlow = () => new Error("the body came too slowly"),
    deadline,
  } = options;
  // The bytes each per-chunk window (and the chunk in flight of the average) counts.
  const window = Math.min(size, READ_CHUNK_BYTES);
  const atLeast = chunkTimeoutMs === undefined ? size : window;
  // With a per-chunk limit a read may return with only `window` bytes in its buffer, and every
  // buffer is a fresh, zero-filled one (a BYOB read moves the whole buffer with its chunk, so the
  // rest cannot serve the next read). So the size follows what reads bring: `size` at first, a
  // short read's bytes after one, doubling back up to `size` while reads fill their buffers.
  let viewBytes = size;
  const read = async (): Promise<ReadableStreamReadResult<Uint8Array>> => {
    if (!byob) return (plain as ReadableStreamDefaultReader<Uint8Array>).read();
    const capacity = viewBytes;
    const view = new Uint8Array(capacity);
    const result = await (byob.readAtLeast ? byob.readAtLeast(atLeast, view) : byob.read(view));
    const got = result.value?.byteLength ?? 0;
    viewBytes = got === capacity ? Math.min(size, got * 2) : Math.max(atLeast, got);
    return result;
  };

  // What the timer works from: when the read in flight began (undefined between reads), the time
  // waited for the client in the current window and in all, and the bytes of each.
  let readSince: number | undefined;
  let started: number | undefined;
  let waited = 0;
  let windowBytes = 0;
  let waitedTotal = 0;
  let total = 0;
  let late: Error | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerAt = Number.POSITIVE_INFINITY;

  /** The soonest a limit may be spent from `now`, in ms, and its error. */
  const nextLimit = (now: number): [number, () => Error] => {
    const inFlight = readSince === undefined ? 0 : now - readSince;
    const chunkLeft =
      chunkTimeoutMs === undefined ? Number.POSITIVE_INFINITY : chunkTimeoutMs - waited - inFlight;
    // By when the read in flight must end for the average, the chunk it waits for included, to hold.
    const rateLeft =
      minBytesPerSecond === undefined
        ? Number.POSITIVE_INFINITY
        : Math.max(graceMs, ((total + window) / minBytesPerSecond) * 1000) - waitedTotal - inFlight;
    // Waiting limits run only while a read waits; the deadline runs from the first read on.
    const waiting: [number, () => Error] =
      readSince === undefined
        ? [Number.POSITIVE_INFINITY, onTimeout]
        : chunkLeft <= rateLeft
          ? [chunkLeft, onTimeout]
          : [rateLeft, onTooSlow];
    const deadlineLeft =
      deadline && started !== undefined ? started + deadline.ms - now : Number.POSITIVE_INFINITY;
    return deadline && deadlineLeft < waiting[0] ? [deadlineLeft, deadline.late] : waiting;
  };
  const stop = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const arm = (now: number, ms: number) => {
    stop();
    timerAt = now + ms;
    if (Number.isFinite(ms)) timer = setTimeout(check, Math.max(0, ms));
  };
  function check() {
    timer = undefined;
    const now = Date.now();
    const [left, error] = nextLimit(now);
    if (left > 0) return arm(now, left);
    late = error();
    reader.cancel(late).catch(() => {});
  }
  const limited = chunkTimeoutMs !== undefined || minBytesPerSecond !== undefined || deadline !== undefined;

  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        const start = Date.now();
        if (limited) {
          started ??= start;
          readSince = start;
          // Set the timer only when this read brings a limit closer than it is set for (the first
          // read, the first after a pause): a read at the usual pace changes nothing.
          const [left] = nextLimit(start);
          if (start + left < timerAt || timer === undefined) arm(start, left);
        }
        const result = await read().catch((error: unknown) => {
          throw late ?? error;
        });
        // A cancelled read ends as if the body had: the limit's error tells it apart.
        if (late) throw late;
        const took = Date.now() - start;
        readSince = undefined;
        waited += took;
        waitedTotal += took;
        const bytes = result.value?.byteLength ?? 0;
        windowBytes += bytes;
        total += bytes;
        if (windowBytes >= window) {
          waited = 0;
          windowBytes = 0;
        }
        if (result.value && bytes > 0) yield result.value;
        if (result.done) return;
      }
    } finally {
      stop();
    }
  }

  return {
    chunks: chunks(),
    cancel: (reason) => {
      stop();
      return reader.cancel(reason).catch(() => {});
    },
  };
}

/**
 * `body` as a stream of large chunks (see {@link readBodyChunks}), for readers that take a stream.
 *
 * @param body - A request body.
 * @param size - The chunk size (default {@link READ_CHUNK_BYTES}).
 * @param options - The body's time limits (see {@link BodyChunksOptions}).
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
