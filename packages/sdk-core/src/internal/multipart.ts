/**
 * The body of a write: `multipart/form-data` with one part, `file`, holding the encrypted bytes.
 * Made as a stream (nothing buffered; progress counted as the runtime pulls it), or as a `Blob`
 * where request bodies cannot be streamed.
 */
import type { ProgressCallback } from "../types.ts";
import { concatBytes, utf8Encode } from "./bytes.ts";
import { collectBlob, fileChunks, withKnownLength } from "./chunks.ts";
import { countedStream } from "./counted-stream.ts";
import { isPipedNatively, pipedBody } from "./native-pipe.ts";
import { randomNonce } from "./random.ts";

/**
 * Files of bytes up to this size are streamed in one chunk, head and tail included (one pull and
 * one socket write instead of three): 8 KiB, small enough that the copy costs nothing.
 */
const ONE_CHUNK = 8 * 1024;

/** Options of {@link multipartBody}. */
export interface MultipartOptions {
  /** The part's `filename`. */
  fileName: string;
  /** The encrypted file. */
  file: Uint8Array<ArrayBuffer> | Blob | ReadableStream<Uint8Array>;
  /** Its size in bytes, when known (always known for bytes). */
  fileSize: number | undefined;
  /** Stream the body (true) or make a `Blob` of it (false). */
  stream: boolean;
  /**
   * Called for every chunk the runtime pulls of a streamed body, with its size: restarts the
   * request's timeout and grants the chunk the time it takes to upload. Called without a size for
   * every chunk of a stream gathered into a `Blob`: gathering is progress, but not uploading.
   */
  touch?: (bytes?: number) => void;
  /** Called as the streamed body is pulled (not for a `Blob` body). */
  onProgress?: ProgressCallback | undefined;
}

/** A multipart body and what the request needs to send it. */
export interface MultipartBody {
  /** `multipart/form-data; boundary=…`. */
  contentType: string;
  /** Exact length of the body, when the file's size is known. */
  length: number | undefined;
  body: ReadableStream<Uint8Array> | Blob;
  /** Whether `body` is a stream. */
  streamed: boolean;
  /** The error the file's own stream failed with, if it did. */
  bodyError: () => unknown;
  /**
   * Whether the runtime has pulled anything of a streamed body (true from the first pull, before
   * any byte is handed over); always true for a `Blob`, whose sending cannot be observed.
   */
  bodyPulled: () => boolean;
  /** Whether the runtime has pulled the whole of a streamed body (absent for a `Blob`: unobservable). */
  bodyDone?: () => boolean;
  /** The size of a `Blob` or piped body, whose progress the runtime does not tell (see `PreparedRequest`). */
  silentBytes?: number;
}

// As browsers encode a FormData filename (WHATWG HTML, "multipart/form-data encoding algorithm").
function quoteFileName(name: string): string {
  return name.replace(/\r/g, "%0D").replace(/\n/g, "%0A").replace(/"/g, "%22");
}

/** Builds the body of a write for one request (a body can be sent once; build one per attempt). */
export async function multipartBody(options: MultipartOptions): Promise<MultipartBody> {
  const { fileName, file, fileSize, stream, touch, onProgress } = options;
  const boundary = `----digime-edge-${randomNonce(32)}`;
  const head = utf8Encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quoteFileName(fileName)}"\r\n` +
      "Content-Type: application/octet-stream\r\n\r\n",
  );
  const tail = utf8Encode(`\r\n--${boundary}--\r\n`);
  const size = file instanceof Uint8Array ? file.length : file instanceof Blob ? file.size : fileSize;
  const length = size === undefined ? undefined : head.length + size + tail.length;
  const contentType = `multipart/form-data; boundary=${boundary}`;

  if (!stream) {
    const content =
      file instanceof Uint8Array || file instanceof Blob ? file : await collectBlob(fileChunks(file), touch);
    const blob = new Blob([head, content, tail]);
    const { size: blobSize } = blob;
    return {
      contentType,
      length: blobSize,
      body: blob,
      streamed: false,
      bodyError: () => undefined,
      bodyPulled: () => true,
      silentBytes: blobSize,
    };
  }

  // A stream its owner marked (workerd: an incoming request's body) is piped by the runtime.
  const piped =
    isPipedNatively(file) && length !== undefined
      ? pipedBody(head, file, tail, length, () => onProgress?.(length, length))
      : undefined;
  if (piped) return { ...piped, contentType, length, streamed: true, silentBytes: length };

  let whole = false;
  async function* parts() {
    // Small bytes go as one chunk: one pull and one socket write instead of three.
    if (file instanceof Uint8Array && file.length <= ONE_CHUNK) {
      whole = true;
      yield concatBytes(head, file, tail);
      return;
    }
    yield head;
    yield* fileChunks(file);
    whole = true;
    yield tail;
  }
  const counted = countedStream(parts(), { touch, onProgress, length });
  return {
    ...counted,
    contentType,
    length,
    body: withKnownLength(counted.body, length),
    streamed: true,
    // Until the closing boundary is pulled, digi.me cannot have the whole body: nothing is stored.
    bodyDone: () => whole,
  };
}
