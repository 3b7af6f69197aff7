/**
 * Every accepted form of `fileData`, turned into one shape: whole bytes when the input is bytes,
 * else a stream, with the size when it is known and whether it can be read again.
 */
import { isReadableStream, validationError } from "../schemas.js";
import { toArrayBufferBytes } from "./bytes.js";

/** `fileData` in one shape. */
export type FileSource =
  | { kind: "bytes"; bytes: Uint8Array<ArrayBuffer>; size: number; replayable: true }
  | {
      kind: "stream";
      stream: () => ReadableStream<Uint8Array>;
      size: number | undefined;
      replayable: boolean;
    };

const READ = "is a stream that was already read";
const ACCEPTED = "must be a Uint8Array, ArrayBuffer, Blob, ReadableStream or AsyncIterable of Uint8Array";

function isBlob(v: object): v is Blob {
  return (
    (typeof Blob !== "undefined" && v instanceof Blob) ||
    (typeof (v as Blob).stream === "function" &&
      typeof (v as Blob).arrayBuffer === "function" &&
      typeof (v as Blob).size === "number")
  );
}

function isAsyncIterable(v: object): v is AsyncIterable<unknown> {
  return typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function";
}

/**
 * `fileData` in one shape.
 * @param path Where the value sits in the caller's options, for the error (`["data", "fileData"]`).
 * @throws TypeValidationError naming `path` when the value is of no accepted type, or is a stream
 *   that is locked or already read.
 */
export function normalizeFileData(value: unknown, path: (string | number)[]): FileSource {
  const refuse = (message: string) => validationError("file data", [{ path, message }]);
  if (typeof value !== "object" || value === null) throw refuse(ACCEPTED);
  if (value instanceof Uint8Array) {
    const bytes = toArrayBufferBytes(value);
    return { kind: "bytes", bytes, size: bytes.length, replayable: true };
  }
  if (value instanceof ArrayBuffer) {
    return { kind: "bytes", bytes: new Uint8Array(value), size: value.byteLength, replayable: true };
  }
  if (isBlob(value)) {
    const blob = value;
    return { kind: "stream", stream: () => blob.stream(), size: blob.size, replayable: true };
  }
  if (isReadableStream(value)) {
    if (value.locked) throw refuse("is a ReadableStream that is locked (already being read)");
    return readOnce(() => checkedChunks(value, refuse), refuse);
  }
  if (isAsyncIterable(value)) {
    const ended = value as { readableEnded?: unknown; destroyed?: unknown };
    if (ended.readableEnded === true || ended.destroyed === true)
      throw refuse("is a stream that has already ended");
    return readOnce(() => fromAsyncIterable(value, refuse), refuse);
  }
  throw refuse(ACCEPTED);
}

/** A source of unknown size that `open` can give once; asked again, it is refused. */
function readOnce(open: () => ReadableStream<Uint8Array>, refuse: (message: string) => Error): FileSource {
  let taken = false;
  const stream = () => {
    if (taken) throw refuse(READ);
    taken = true;
    return open();
  };
  return { kind: "stream", stream, size: undefined, replayable: false };
}

function chunkOf(chunk: unknown, refuse: (message: string) => Error): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  throw refuse("yielded a chunk that is not a Uint8Array");
}

function checkedChunks(
  stream: ReadableStream<unknown>,
  refuse: (message: string) => Error,
): ReadableStream<Uint8Array> {
  return stream.pipeThrough(
    new TransformStream<unknown, Uint8Array>({
      transform(chunk, controller) {
        controller.enqueue(chunkOf(chunk, refuse));
      },
    }),
  );
}

// Pulled one chunk at a time (no read-ahead), so a Node Readable keeps its own backpressure.
function fromAsyncIterable(
  iterable: AsyncIterable<unknown>,
  refuse: (message: string) => Error,
): ReadableStream<Uint8Array> {
  const iterator = iterable[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(chunkOf(next.value, refuse));
      },
      async cancel(reason) {
        await iterator.return?.(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
