import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { measure } from "./multipart.ts";
import { newId } from "./store.ts";

/** A raw upload waiting in the temporary folder. */
export interface ReceivedBytes {
  tmpPath: string;
  size: number;
  /** Lowercase hex SHA-256 of the bytes. */
  sha256: string;
}

/** The body ended early: the connection closed or failed before its end (nothing was kept). */
export class BodyCutError extends Error {
  constructor(options?: { cause?: unknown }) {
    super("The connection closed before the body ended", options);
    this.name = "BodyCutError";
  }
}

/**
 * Streams a request body as it is (chunked or with a length) into a new file of `tmpDir`, hashing
 * it on the way: memory stays at a few stream buffers whatever its size. A body cut short (the
 * client went away, a length not reached, a chunked body without its last chunk) leaves no file.
 * @throws {BodyCutError}
 */
export async function receiveRawFile(body: Readable, tmpDir: string): Promise<ReceivedBytes> {
  const tmpPath = join(tmpDir, newId("upload_", 12));
  const hash = createHash("sha256");
  let size = 0;
  try {
    await pipeline(
      body,
      measure(hash, (n) => {
        size += n;
      }),
      createWriteStream(tmpPath),
    );
  } catch (cause) {
    await rm(tmpPath, { force: true });
    throw new BodyCutError({ cause });
  }
  return { tmpPath, size, sha256: hash.digest("hex") };
}
