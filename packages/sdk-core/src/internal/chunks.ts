/**
 * Request bodies as chunks: an iterator over a stream's reader, bytes in slices, a `Blob` gathered
 * from chunks, and a stream given its known length. Nothing is read ahead or copied.
 */

const SLICE = 64 * 1024;

/** Chunks, one at a time, as `AsyncIterableIterator`s of the SDK's bodies are. */
export type Chunks<T = Uint8Array> = AsyncIterableIterator<T, undefined>;

/**
 * The chunks that `read` gives, each passed through `check` when given. A failed `check` and
 * returning early call `stop` (which cancels the source).
 */
export function chunksOf<T>(
  read: () => Promise<IteratorResult<unknown>>,
  stop: (reason?: unknown) => unknown,
  check: (chunk: unknown) => T = (chunk) => chunk as T,
): Chunks<T> {
  const end = async (reason?: unknown) => {
    await stop(reason);
    return { done: true, value: undefined } as const;
  };
  return {
    async next() {
      const next = await read();
      if (next.done) return next as IteratorReturnResult<undefined>;
      try {
        return { done: false, value: check(next.value) };
      } catch (error) {
        await end(error);
        throw error;
      }
    },
    return: end,
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * The chunks of `stream`, read through one reader taken now, so that the stream shows as `locked`
 * from here on and is never read twice (the lock is kept after the end); see {@link chunksOf}.
 */
export function readerChunks<T = Uint8Array>(
  stream: ReadableStream<unknown>,
  check?: (chunk: unknown) => T,
): Chunks<T> {
  const reader = stream.getReader();
  return chunksOf(
    () => reader.read(),
    (reason) => {
      reader.cancel(reason).catch(() => {});
    },
    check,
  );
}

/** `bytes` in 64 KiB views (no copy). */
export async function* slices(bytes: Uint8Array): AsyncGenerator<Uint8Array, undefined> {
  for (let offset = 0; offset < bytes.length; offset += SLICE) yield bytes.subarray(offset, offset + SLICE);
}

/**
 * The chunks of `file`: bytes in 64 KiB views, a `Blob` or stream as it is read (see
 * {@link readerChunks}: a stream is locked from here on).
 */
export function fileChunks(file: Uint8Array | Blob | ReadableStream<Uint8Array>): Chunks {
  return file instanceof Uint8Array
    ? slices(file)
    : readerChunks(file instanceof Blob ? file.stream() : file);
}

/**
 * Every chunk of `chunks` in one `Blob` (which a browser may keep on disk rather than in memory).
 * `touch()` for every chunk, without its size: gathering is progress, not an upload to grant time.
 */
export async function collectBlob(chunks: AsyncIterator<Uint8Array>, touch?: () => void): Promise<Blob> {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
    parts.push(next.value as Uint8Array<ArrayBuffer>);
    touch?.();
  }
  return new Blob(parts);
}

type FixedLengthStreamConstructor = new (length: number) => TransformStream<Uint8Array, Uint8Array>;

/**
 * `body`, of `length` bytes when known, so that it is sent with that length: workerd sends a stream
 * body chunked even with a Content-Length header, unless the stream comes from its
 * FixedLengthStream. Elsewhere (Node, Bun) the header is enough.
 */
export function withKnownLength(
  body: ReadableStream<Uint8Array>,
  length: number | undefined,
): ReadableStream<Uint8Array> {
  const Fixed = (globalThis as { FixedLengthStream?: FixedLengthStreamConstructor }).FixedLengthStream;
  return length === undefined || typeof Fixed !== "function" ? body : body.pipeThrough(new Fixed(length));
}
