/**
 * A body held to its declared length (`Content-Length`), for the routes that pipe a large body on
 * (sealed and raw uploads): the length goes on to digi.me, so the body must match it exactly.
 */

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
