/**
 * A request body that the runtime pipes into its `FixedLengthStream` by itself (workerd's
 * `pipeTo`), rather than through the SDK's counted stream: no JavaScript of the SDK per chunk, and
 * none at all for a stream of the runtime's own. Only a stream its owner marked with
 * {@link pipeNatively} is sent this way (its owner knows what it holds: e.g. the edge Worker's
 * body of checked, large chunks); progress is then told once, at the end.
 */
import type { CountedStream } from "./counted-stream.ts";

const MARK = Symbol.for("digime-edge.native");

type FixedLengthStreamConstructor = new (length: number) => TransformStream<Uint8Array, Uint8Array>;

/**
 * Marks `stream` as one the runtime may pipe straight into a request body (workerd: an incoming
 * request's `body`). A marked stream with a known size is sent without a JavaScript pull per chunk
 * where the runtime has `FixedLengthStream`; elsewhere `write` and `sendSealed` read it as any other
 * stream, and `pushData` hands it to `fetch` as it is, with its `Content-Length`.
 *
 * @param stream - A stream of the runtime's own, not yet read.
 * @param length - Its exact length in bytes, for a call that takes no size of its own (`pushData`).
 * @returns The same stream.
 */
export function pipeNatively<T extends ReadableStream<Uint8Array>>(stream: T, length?: number): T {
  Object.defineProperty(stream, MARK, { value: length });
  return stream;
}

/** Whether `file` was marked by {@link pipeNatively}. */
export function isPipedNatively(file: unknown): file is ReadableStream<Uint8Array> {
  return file instanceof ReadableStream && MARK in file;
}

/** The length `file` was marked with by {@link pipeNatively}, if any. */
export function nativeLength(file: unknown): number | undefined {
  return (file as { [MARK]?: number } | undefined)?.[MARK];
}

/**
 * `head`, the marked `file` and `tail` as one body of exactly `length` bytes, piped by the
 * runtime; `undefined` where it has no `FixedLengthStream`. The tail is written only after the
 * whole file went through, so a file that fails never makes a whole body. `bodyError` is the
 * file's own failure only, not the request's (a cancelled request body leaves it `undefined`).
 *
 * @param onDone - Called once the tail went into the body.
 */
export function pipedBody(
  head: Uint8Array,
  file: ReadableStream<Uint8Array>,
  tail: Uint8Array,
  length: number,
  onDone?: () => void,
): CountedStream | undefined {
  const Fixed = (globalThis as { FixedLengthStream?: FixedLengthStreamConstructor }).FixedLengthStream;
  if (typeof Fixed !== "function") return undefined;
  const { readable, writable } = new Fixed(length);
  let pulled = false;
  let done = false;
  let failure: unknown;
  (async () => {
    const first = writable.getWriter();
    await first.write(head);
    first.releaseLock();
    pulled = true;
    // preventAbort: a failed file leaves the body writable, which tells it from a failed request.
    const piped = await file.pipeTo(writable, { preventClose: true, preventAbort: true }).then(
      () => ({ ok: true as const }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    if (!piped.ok) {
      let writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
      try {
        writer = writable.getWriter();
      } catch {
        // Still locked by a pipe the runtime could not run: the file's failure all the same.
      }
      if (writer === undefined || writer.desiredSize !== null) {
        failure = piped.error;
        await writer?.abort(piped.error);
      }
      return;
    }
    done = true;
    const last = writable.getWriter();
    await last.write(tail);
    onDone?.();
    await last.close();
  })().catch(() => {
    // The request ended first (responded to, aborted or cut off): it reports that itself.
    file.cancel().catch(() => {});
  });
  return { body: readable, bodyError: () => failure, bodyPulled: () => pulled, bodyDone: () => done };
}
