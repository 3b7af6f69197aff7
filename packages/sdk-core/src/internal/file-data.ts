/**
 * Every accepted form of `fileData`, turned into one shape: whole bytes when the input is bytes,
 * else chunks, with the size when it is known and whether it can be read again.
 */

import { toArrayBufferBytes } from "./bytes.ts";
import { validationError } from "./checks.ts";
import { type Chunks, chunksOf, readerChunks } from "./chunks.ts";
import { isReadableStream } from "./fields.ts";

/** `fileData` in one shape. */
export type FileSource =
  | { kind: "bytes"; bytes: Uint8Array<ArrayBuffer>; size: number; replayable: true }
  | {
      kind: "stream";
      /** The content's chunks, from the start (see `readerChunks`: a stream is locked by it). */
      chunks: () => Chunks;
      size: number | undefined;
      replayable: boolean;
    };

const ACCEPTED = "must be a Uint8Array, ArrayBuffer, Blob, ReadableStream or AsyncIterable";

function isBlob(v: object): v is Blob {
  return (
    v instanceof Blob ||
    (typeof (v as Blob).stream === "function" &&
      typeof (v as Blob).arrayBuffer === "function" &&
      typeof (v as Blob).size === "number")
  );
}

/**
 * `fileData` in one shape.
 * @param path Where the value sits in the caller's options, for the error (`["data", "fileData"]`).
 * @throws TypeValidationError naming `path` when the value is of no accepted type, or is a stream
 *   that is locked or already read.
 */
export function normalizeFileData(value: unknown, path: (string | number)[]): FileSource {
  const refuse = (message: string) => validationError("file data", [{ path, message }]);
  const chunk = (c: unknown): Uint8Array => {
    if (c instanceof Uint8Array) return c;
    throw refuse("gave a chunk that is not a Uint8Array");
  };
  // A stream or iterable can be read once; asked again, it is refused.
  let taken = false;
  const once = (open: () => Chunks): FileSource => ({
    kind: "stream",
    chunks: () => {
      if (taken) throw refuse("is a stream that was already read");
      taken = true;
      return open();
    },
    size: undefined,
    replayable: false,
  });
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
    return { kind: "stream", chunks: () => readerChunks(blob.stream()), size: blob.size, replayable: true };
  }
  if (isReadableStream(value)) {
    if (value.locked) throw refuse("is a locked ReadableStream");
    return once(() => readerChunks(value, chunk));
  }
  if (typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") {
    const ended = value as { readableEnded?: unknown; destroyed?: unknown };
    if (ended.readableEnded === true || ended.destroyed === true)
      throw refuse("is a stream that has already ended");
    // Pulled one chunk at a time (no read-ahead), so a Node Readable keeps its own backpressure.
    return once(() => {
      const iterator = (value as AsyncIterable<unknown>)[Symbol.asyncIterator]();
      return chunksOf(
        () => iterator.next(),
        (reason) => iterator.return?.(reason),
        chunk,
      );
    });
  }
  throw refuse(ACCEPTED);
}
