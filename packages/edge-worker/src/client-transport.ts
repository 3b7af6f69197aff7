/**
 * How the typed client sends an upload's body: `XMLHttpRequest` (for upload progress), a `Blob`
 * of the sealed body, or a stream that counts what `fetch` has taken.
 */
import type { SealedFile } from "@digime-edge/sdk-core";
import { EdgeClientError, toError, uploadGotNoAnswer } from "./client-http.ts";
import type { UploadResult } from "./routes/files.ts";

/** The part of `XMLHttpRequest` an upload uses. */
export interface XhrLike {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: unknown): void;
  abort(): void;
  withCredentials: boolean;
  status: number;
  responseText: string;
  getResponseHeader(name: string): string | null;
  upload: {
    onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null;
    /** Fired when the whole request body has been sent. */
    onload?: (() => void) | null;
  };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

/** Progress and cancellation of one upload. */
export interface SendOptions {
  /** Called as the request body is sent: bytes `sent` of `total`. */
  onProgress?: ((sent: number, total: number | undefined) => void) | undefined;
  /** Cancels the upload. */
  signal?: AbortSignal | undefined;
}

/**
 * POSTs `body` with `XMLHttpRequest`, with the session cookie, reporting upload progress. A
 * connection lost after the whole body was sent is `NETWORK` with `mayHaveArrived`.
 *
 * @param Xhr - The `XMLHttpRequest` constructor.
 * @param url - Where to.
 * @param body - The form or the sealed body.
 * @param headers - Request headers.
 * @param options - Progress and cancellation.
 */
export function uploadWithXhr(
  Xhr: new () => XhrLike,
  url: string,
  body: FormData | Blob,
  headers: Record<string, string>,
  { onProgress, signal }: SendOptions,
): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const xhr = new Xhr();
    xhr.open("POST", url);
    xhr.withCredentials = true;
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    let bodySent = false;
    xhr.upload.onload = () => {
      bodySent = true;
    };
    if (onProgress) {
      xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : undefined);
    }
    const onAbort = () => xhr.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const done = () => signal?.removeEventListener("abort", onAbort);
    xhr.onload = () => {
      done();
      if (xhr.status >= 200 && xhr.status < 300) resolve(JSON.parse(xhr.responseText) as UploadResult);
      else reject(toError(xhr.status, xhr.responseText, xhr.getResponseHeader("Retry-After")));
    };
    xhr.onerror = () => {
      done();
      reject(uploadGotNoAnswer(bodySent));
    };
    xhr.onabort = () => {
      done();
      reject(new EdgeClientError(0, "ABORTED", "the upload was cancelled"));
    };
    if (signal?.aborted) xhr.abort();
    else xhr.send(body);
  });
}

/** The error of a cancelled upload. */
export const aborted = () => new EdgeClientError(0, "ABORTED", "the upload was cancelled");

/**
 * The sealed body as a `Blob` (kept by the browser, in memory or on disk; it never leaves the device).
 *
 * @param body - The sealed body.
 * @param signal - Cancels the reading.
 */
export async function sealedBlob(body: SealedFile["body"], signal: AbortSignal | undefined): Promise<Blob> {
  if (body instanceof Uint8Array) return new Blob([body]);
  const parts: Uint8Array<ArrayBuffer>[] = [];
  const reader = body.getReader();
  try {
    for (;;) {
      if (signal?.aborted) throw aborted();
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value as Uint8Array<ArrayBuffer>);
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  }
  return new Blob(parts);
}

/** A request body as a stream, and whether `fetch` has taken all of it. */
export interface CountedBody {
  /** The body for `fetch`. */
  stream: ReadableStream<Uint8Array>;
  /** Whether the stream has been read to its end (the whole body handed to the network). */
  taken(): boolean;
}

/**
 * `body` as a stream that reports how much of it has been taken by `fetch`, and whether all of it.
 *
 * @param body - The sealed body.
 * @param total - Its size, when known.
 * @param onProgress - Called as it is taken.
 */
export function counted(
  body: SealedFile["body"],
  total: number | undefined,
  onProgress: SendOptions["onProgress"],
): CountedBody {
  const source = body instanceof Uint8Array ? new Blob([body]).stream() : body;
  let sent = 0;
  let ended = false;
  const stream = source.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        sent += chunk.byteLength;
        controller.enqueue(chunk);
        onProgress?.(sent, total);
      },
      flush() {
        ended = true;
      },
    }),
  );
  return { stream, taken: () => ended };
}

/** Whether this runs in a browser (a page or a worker with `XMLHttpRequest`). */
export function isBrowser(): boolean {
  const g = globalThis as { document?: unknown; XMLHttpRequest?: unknown };
  return g.document !== undefined || g.XMLHttpRequest !== undefined;
}
