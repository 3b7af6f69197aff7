import { createHash, type Decipheriv } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import Busboy from "@fastify/busboy";
import { newId } from "./store.ts";

/** The multipart body itself is wrong (400 `InvalidRequest`). */
export class MultipartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MultipartError";
  }
}

/** The file part does not decrypt (400 `InvalidFile`): truncated, or not made with this key and iv. */
export class FileDecryptError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "FileDecryptError";
  }
}

/** A decrypted upload waiting in the temporary folder. */
export interface ReceivedFile {
  fileName: string;
  tmpPath: string;
  /** Decrypted size in bytes. */
  size: number;
  /** Lowercase hex SHA-256 of the decrypted bytes. */
  sha256: string;
}

/** Options of {@link receiveEncryptedFile}. */
export interface ReceiveOptions {
  body: Readable;
  contentType: string;
  decipher: Decipheriv;
  tmpDir: string;
  /** Name of the part holding the file (digi.me: `file`). */
  fieldName?: string;
}

/** A pass-through stream that hashes what goes through it and reports each chunk's size. */
export const measure = (hash: ReturnType<typeof createHash>, onBytes: (n: number) => void) =>
  new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });

/**
 * Parses a `multipart/form-data` body as it streams and decrypts its file part straight to a
 * temporary file: at no point is more than a few stream buffers of the upload in memory. Busboy
 * does the parsing (the Fastify team's maintained fork: streaming, back-pressure aware, and it
 * reports a body that ends before its closing boundary).
 *
 * On success the body has been read to its end. On failure the temporary file is removed and
 * the body is unpiped, so the caller can discard the rest and still respond.
 * @throws {MultipartError | FileDecryptError}
 */
export function receiveEncryptedFile(options: ReceiveOptions): Promise<ReceivedFile> {
  const { body, contentType, decipher, tmpDir, fieldName = "file" } = options;
  return new Promise<ReceivedFile>((resolve, reject) => {
    if (!/^multipart\/form-data\b/i.test(contentType)) {
      reject(new MultipartError("The body must be multipart/form-data"));
      return;
    }
    let parser: ReturnType<typeof Busboy>;
    try {
      parser = Busboy({
        headers: { "content-type": contentType },
        limits: { files: 1, fields: 32, fieldSize: 64 * 1024, parts: 33, headerPairs: 32 },
      });
    } catch (cause) {
      reject(new MultipartError("The body must be multipart/form-data with a boundary", { cause }));
      return;
    }
    const tmpPath = join(tmpDir, newId("upload_", 12));
    let settled = false;
    let file: Promise<ReceivedFile> | undefined;
    let fileStream: Readable | undefined;

    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      body.unpipe(parser);
      body.off("close", onClose);
      fileStream?.destroy();
      // The pipeline settles once its streams are destroyed; only then is the temp file closed.
      const done = () => rm(tmpPath, { force: true }).finally(() => reject(error));
      (file ?? Promise.resolve()).then(done, done);
    };
    const onClose = () => {
      if (!body.readableEnded) fail(new MultipartError("The connection closed before the body ended"));
    };

    parser.on("file", (name, stream, filename) => {
      if (name !== fieldName || file) {
        stream.resume();
        fail(new MultipartError(file ? "Only one file part is accepted" : `Unexpected file part "${name}"`));
        return;
      }
      fileStream = stream;
      const hash = createHash("sha256");
      let size = 0;
      file = pipeline(
        stream,
        decipher,
        measure(hash, (n) => {
          size += n;
        }),
        createWriteStream(tmpPath),
      ).then(
        () => ({ fileName: filename || "file", tmpPath, size, sha256: hash.digest("hex") }),
        (cause: unknown) => {
          const error =
            cause instanceof Error && /bad decrypt|final block|wrong final/i.test(cause.message)
              ? new FileDecryptError(
                  "The file does not decrypt: truncated, or not made with this key and iv",
                  {
                    cause,
                  },
                )
              : new MultipartError("The file part could not be read", { cause });
          fail(error);
          throw error;
        },
      );
      file.catch(() => {});
    });
    parser.on("filesLimit", () => fail(new MultipartError("Only one file part is accepted")));
    parser.on("partsLimit", () => fail(new MultipartError("Too many parts")));
    parser.on("error", (cause: unknown) =>
      fail(
        new MultipartError(`The multipart body is malformed: ${(cause as Error)?.message ?? cause}`, {
          cause,
        }),
      ),
    );
    parser.on("finish", () => {
      if (!file) return fail(new MultipartError(`The body has no file part named "${fieldName}"`));
      file.then((received) => {
        if (settled) return;
        settled = true;
        body.off("close", onClose);
        resolve(received);
      }, fail);
    });
    body.on("close", onClose);
    body.on("error", (cause) => fail(new MultipartError("The request body failed", { cause })));
    // A connection that closed before this point emits no more events: fail now rather than wait.
    if (body.destroyed) fail(new MultipartError("The connection closed before the body ended"));
    else body.pipe(parser);
  });
}
