/**
 * A body held to its declared length (`Content-Length`), for the routes that pipe a large body on
 * (sealed and raw uploads): the length goes on to digi.me, so the body must match it exactly.
 */
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { readBodyChunks } from "./body-chunks.ts";
import { declaredBodyReading } from "./upload.ts";
import { UploadRun } from "./upload-run.ts";

/** The errors of a body that does not match its declared length. */
export interface LengthErrors {
  /** The body is longer than declared. */
  longer: () => Error;
  /** The body ended before the declared length. */
  shorter: () => Error;
}

/**
 * Exactly the `declared` bytes of `chunks`, counted into `run.bytes`. The chunk that completes them
 * is handed on only once the body is known to end there, so a longer or shorter body never makes
 * a whole one: it throws instead.
 *
 * @param chunks - The body's chunks (e.g. `readBodyChunks`'s).
 * @param declared - Its declared length.
 * @param run - Where the bytes read are counted (the upload's `UploadRun`).
 * @param errors - What a longer or shorter body throws.
 */
export async function* exactChunks(
  chunks: AsyncGenerator<Uint8Array>,
  declared: number,
  run: { bytes: number },
  errors: LengthErrors,
): AsyncGenerator<Uint8Array> {
  for await (const value of chunks) {
    run.bytes += value.byteLength;
    if (run.bytes >= declared) {
      const after = run.bytes === declared ? await chunks.next() : undefined;
      if (after === undefined || !after.done) throw errors.longer();
      yield value;
      return;
    }
    yield value;
  }
  if (run.bytes < declared) throw errors.shorter();
}

/**
 * A body of a declared length, read at every upload's pace and within one deadline
 * (`declaredBodyReading`), as an upload run and exactly its `declared` bytes ({@link exactChunks}).
 * A missing body reads as empty.
 *
 * @param c - The request context (after `withConfig`).
 * @param body - The request's body, or `null`.
 * @param declared - Its `Content-Length`.
 * @param bad - The error of a body of another length, from its message.
 * @param noun - What the messages call the body (`"body"`, `"sealed body"`).
 */
export function readExact(
  c: Context<AppEnv>,
  body: ReadableStream<Uint8Array> | null,
  declared: number,
  bad: (message: string) => Error,
  noun: string,
): { run: UploadRun; chunks: AsyncGenerator<Uint8Array> } {
  const reader = body ? readBodyChunks(body, ...declaredBodyReading(c, declared)) : undefined;
  const run = new UploadRun({ cancel: reader ? reader.cancel : async () => {} });
  const chunks = exactChunks(reader?.chunks ?? (async function* () {})(), declared, run, {
    longer: () => bad(`the ${noun} is longer than its Content-Length`),
    shorter: () => bad(`the ${noun} is shorter than its Content-Length`),
  });
  return { run, chunks };
}
