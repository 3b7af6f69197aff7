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
 */
export function readBodyChunks(body: ReadableStream<Uint8Array>, size = READ_CHUNK_BYTES): BodyChunks {
  let byob: AtLeastReader | undefined;
  let plain: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    byob = body.getReader({ mode: "byob" }) as AtLeastReader;
  } catch {
    plain = body.getReader();
  }
  const reader = (byob ?? plain) as ReadableStreamBYOBReader | ReadableStreamDefaultReader<Uint8Array>;

  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      if (byob) {
        const view = new Uint8Array(size);
        result = byob.readAtLeast ? await byob.readAtLeast(size, view) : await byob.read(view);
      } else result = await (plain as ReadableStreamDefaultReader<Uint8Array>).read();
      if (result.value && result.value.byteLength > 0) yield result.value;
      if (result.done) return;
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
 */
export function inLargeChunks(
  body: ReadableStream<Uint8Array>,
  size = READ_CHUNK_BYTES,
): ReadableStream<Uint8Array> {
  const { chunks, cancel } = readBodyChunks(body, size);
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
