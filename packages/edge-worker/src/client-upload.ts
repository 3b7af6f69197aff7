/**
 * The typed client's uploads of a whole file: plain (`POST /api/files`: the Worker encrypts, or with
 * an import contract imports it as it is, the file then sent as the raw body) or sealed in the
 * browser (`POST /api/sealed-files`), each sent once more when the Worker's token was refreshed
 * after the body was spent.
 */
import { type FileDescriptor, type SealedFile, seal } from "@digime-edge/sdk-core";
import { EdgeClientError, INCLUDE, nameOf, parse, uploadGotNoAnswer } from "./client-http.ts";
import { aborted, counted, isBrowser, sealedBlob, uploadWithXhr, type XhrLike } from "./client-transport.ts";
import { completeDescriptor } from "./lib/complete-descriptor.ts";
import type { DescriptorInput } from "./lib/descriptor.ts";
import { rawUploadHeaders } from "./lib/raw-upload.ts";
import { SEALED_HEADERS } from "./lib/sealed-envelope.ts";
import type { UploadResult } from "./routes/files.ts";
import type { SessionInfo, WriteApi } from "./routes/session.ts";

/** Options of `EdgeClient.upload`. */
export interface UploadOptions {
  /**
   * Called as the request body is sent: bytes `sent` of `total`. With XMLHttpRequest (a browser's
   * default) as it goes, over the whole request body: the multipart form, or with an import
   * contract the file itself. With `fetch` (no upload progress there) twice, `(0, size)` before
   * and `(size, size)` after, `size` being the file's.
   */
  onProgress?: (sent: number, total: number | undefined) => void;
  /** Cancels the upload. */
  signal?: AbortSignal;
  /** File name to send; defaults to the `File`'s name, or `upload`. */
  fileName?: string;
}

/**
 * How `EdgeClient.uploadSealed` sends the sealed body:
 * - `xhr`: sealed into a `Blob` first (the ciphertext stays on the device, in memory or spilled to
 *   disk by the browser), then sent with `XMLHttpRequest`, which reports upload progress;
 * - `stream`: sealed as `fetch` sends it (`duplex: "half"`), never held whole. Browsers stream
 *   request bodies only over HTTP/2 or later, so choose it there only when the Worker is reached
 *   that way;
 * - `blob`: sealed into a `Blob`, then sent with `fetch` (progress only at the start and the end);
 * - `auto` (default): `xhr` where `XMLHttpRequest` exists and no `fetch` was given to the client;
 *   otherwise `stream` outside browsers (Node, Deno, Bun, workers) and `blob` in them.
 */
export type SealedTransport = "auto" | "xhr" | "stream" | "blob";

/** Options of `EdgeClient.uploadSealed`. */
export interface SealedUploadOptions extends UploadOptions {
  /**
   * Called as the sealed body is sent: encrypted bytes `sent` of `total`, the ciphertext's size
   * (the file's padded to the next multiple of 16 bytes, AES-CBC with PKCS#7), not the file's.
   * With `xhr` as it goes; with `stream` as `fetch` takes the body (`total` undefined when the
   * file's size is not known); with `blob` twice, `(0, size)` before and `(size, size)` after,
   * `size` being the sealed `Blob`'s. Plaintext bytes read are
   * {@link SealedUploadOptions.onSealProgress}'s.
   */
  onProgress?: (sent: number, total: number | undefined) => void;
  /** How the sealed body travels; see {@link SealedTransport}. */
  transport?: SealedTransport;
  /** Called as the file is read and encrypted: plaintext bytes read so far, of the file's size. */
  onSealProgress?: (read: number, total: number | undefined) => void;
}

/** The typed client's uploads of a whole file (part of {@link EdgeClient}). */
export interface UploadMethods {
  /**
   * Uploads a file to the user's digi.me library. Uses XHR for upload progress where it exists (and
   * no `fetch` was given), `fetch` otherwise. Retries once when the Worker responds with
   * `TOKEN_REFRESHED_RETRY` (its token was refreshed after the body had been sent). With an import
   * contract (`writeApi` of the session, asked once per client) the file is sent as the raw body,
   * its descriptor and name in headers, which the Worker pipes on without parsing; otherwise as a
   * multipart form.
   *
   * @param file - The file or blob.
   * @param descriptor - Optional `mimeType`, `accounts`, `tags`, `reference`.
   * @param options - Progress, cancellation and file name.
   */
  upload(file: Blob, descriptor?: DescriptorInput, options?: UploadOptions): Promise<UploadResult>;
  /**
   * Uploads a file sealed in the browser: gets the postbox's public key from the session, encrypts
   * the file and its descriptor with sdk-core's `seal` as the file is read, and sends only the
   * ciphertext and the envelope (`POST /api/sealed-files`). Neither the Worker nor the network in
   * between can read the file. When the Worker responds with `TOKEN_REFRESHED_RETRY` (its token was
   * refreshed after the body had been sent), the file is sealed afresh and sent once more.
   *
   * The descriptor is encrypted here, so its defaults are filled in here: `mimeType` from the
   * file's type (else `application/octet-stream`), `accounts` the session's `accountId`.
   *
   * @param file - The file or blob.
   * @param descriptor - Optional `mimeType`, `accounts`, `tags`, `reference`.
   * @param options - Progress (`onProgress`: encrypted bytes sent), sealing progress, cancellation,
   *   file name and transport.
   * @throws EdgeClientError: the Worker's codes, `UNAUTHENTICATED`/`CANNOT_WRITE` before sealing,
   *   409 `SEALING_UNAVAILABLE` (import write API: nothing to seal for) before sealing,
   *   `SEAL_FAILED` when the file cannot be sealed, `NETWORK`, `ABORTED`.
   */
  uploadSealed(
    file: Blob,
    descriptor?: DescriptorInput,
    options?: SealedUploadOptions,
  ): Promise<UploadResult>;
}

/**
 * The upload methods of a client for the Worker at `base`.
 *
 * @param base - The Worker's origin, without a trailing slash.
 * @param fetchFn - The `fetch` to use.
 * @param customFetch - A `fetch` was given to the client: uploads then do not use XHR.
 * @param session - The client's session check.
 */
export function uploadMethods(
  base: string,
  fetchFn: typeof fetch,
  customFetch: boolean,
  session: () => Promise<SessionInfo>,
): UploadMethods {
  const Xhr = (globalThis as { XMLHttpRequest?: new () => XhrLike }).XMLHttpRequest;
  /**
   * POSTs with `fetch`. No answer is `NETWORK`, with `mayHaveArrived` unless the body is known not
   * to have been sent whole (`bodySent`, for a stream; `fetch` does not tell for a form or a blob).
   */
  const post = async (
    url: string,
    init: RequestInit,
    signal: AbortSignal | undefined,
    bodySent: () => boolean = () => true,
  ) => {
    let response: Response;
    try {
      response = await fetchFn(url, { ...INCLUDE, ...init, method: "POST", signal });
    } catch (error) {
      if (signal?.aborted) throw aborted();
      throw uploadGotNoAnswer(bodySent(), error);
    }
    return parse<UploadResult>(response);
  };

  // The Worker's write API is its setting, the same for every session: asked once. A failed
  // question is asked again next time; meanwhile the multipart form, which every Worker takes.
  let writeApi: Promise<WriteApi | undefined> | undefined;
  const writeApiOf = () => {
    writeApi ??= session().then(
      (info) => info.writeApi,
      () => {
        writeApi = undefined;
        return undefined;
      },
    );
    return writeApi;
  };

  /** XHR, for its upload progress, unless it is missing or a `fetch` was given to the client. */
  const xhrByDefault = Boolean(Xhr && !customFetch);
  /**
   * POSTs a body held whole (a form or a blob): with XHR when `viaXhr`, which reports progress as
   * it sends; else with `fetch`, progress then reported at the start and the end, as `size` bytes.
   */
  const sendWhole = async (
    url: string,
    body: FormData | Blob,
    headers: Record<string, string>,
    size: number,
    opts: UploadOptions,
    viaXhr = xhrByDefault,
  ) => {
    if (viaXhr) {
      if (!Xhr) throw new EdgeClientError(0, "UNSUPPORTED", "XMLHttpRequest is not available here");
      return uploadWithXhr(Xhr, url, body, headers, opts);
    }
    opts.onProgress?.(0, size);
    const result = await post(url, { headers, body }, opts.signal);
    opts.onProgress?.(size, size);
    return result;
  };

  const sendRaw = (file: Blob, descriptor: DescriptorInput | undefined, opts: UploadOptions) => {
    const headers = rawUploadHeaders(descriptor, nameOf(file, opts), file.type);
    return sendWhole(`${base}/api/files`, file, headers, file.size, opts);
  };

  const sendOnce = async (file: Blob, descriptor: DescriptorInput | undefined, opts: UploadOptions) => {
    if ((await writeApiOf()) === "import") return sendRaw(file, descriptor, opts);
    const form = new FormData();
    if (descriptor) form.append("fileDescriptor", JSON.stringify(descriptor));
    form.append("file", file, nameOf(file, opts));
    // Progress counts the file's bytes: the form's whole size is not known before it is sent.
    return sendWhole(`${base}/api/files`, form, {}, file.size, opts);
  };

  const transportFor = (requested: SealedTransport | undefined): Exclude<SealedTransport, "auto"> => {
    if (requested && requested !== "auto") return requested;
    if (xhrByDefault) return "xhr";
    return isBrowser() ? "blob" : "stream";
  };

  const sealOnce = async (
    file: Blob,
    publicKey: string,
    fileDescriptor: FileDescriptor,
    opts: SealedUploadOptions,
  ) => {
    if (opts.signal?.aborted) throw aborted();
    let sealed: SealedFile;
    try {
      sealed = await seal({
        publicKey,
        fileData: file,
        fileDescriptor,
        ...(opts.onSealProgress ? { onProgress: opts.onSealProgress } : {}),
      });
    } catch (error) {
      throw new EdgeClientError(
        0,
        "SEAL_FAILED",
        error instanceof Error ? error.message : "the file could not be sealed",
      );
    }
    const headers: Record<string, string> = {
      "Content-Type": "application/octet-stream",
      [SEALED_HEADERS.iv]: sealed.iv,
      [SEALED_HEADERS.symmetricalKey]: sealed.symmetricalKey,
      [SEALED_HEADERS.metadata]: sealed.metadata,
      [SEALED_HEADERS.fileName]: encodeURIComponent(nameOf(file, opts)),
    };
    const url = `${base}/api/sealed-files`;
    const transport = transportFor(opts.transport);
    if (transport === "stream") {
      const body = counted(sealed.body, sealed.size, opts.onProgress);
      // `duplex` is needed for a stream body and missing from some RequestInit types.
      const init = { headers, body: body.stream, duplex: "half" } as RequestInit;
      return post(url, init, opts.signal, body.taken);
    }
    const blob = await sealedBlob(sealed.body, opts.signal);
    return sendWhole(url, blob, headers, blob.size, opts, transport === "xhr");
  };

  /** Sends once, and once more when the Worker's token was refreshed after the body was spent. */
  const withRetry = async (send: () => Promise<UploadResult>) => {
    try {
      return await send();
    } catch (error) {
      if (error instanceof EdgeClientError && error.code === "TOKEN_REFRESHED_RETRY") return send();
      throw error;
    }
  };

  return {
    async upload(file, descriptor, opts = {}) {
      return withRetry(() => sendOnce(file, descriptor, opts));
    },
    async uploadSealed(file, descriptor, opts = {}) {
      const info = await session();
      if (!info.authenticated) throw new EdgeClientError(401, "UNAUTHENTICATED", "sign in first");
      if (info.writeApi === "import") {
        throw new EdgeClientError(
          409,
          "SEALING_UNAVAILABLE",
          "this Worker uses digi.me's import API: digi.me receives the file over TLS, there is nothing to seal for",
        );
      }
      const { publicKey, accountId } = info;
      if (!info.canWrite || !publicKey || !accountId) {
        throw new EdgeClientError(403, "CANNOT_WRITE", "this sign-in gave no postbox to write to");
      }
      const fileDescriptor = completeDescriptor(descriptor, file.type, accountId);
      // A new envelope for every attempt: the first body was spent.
      return withRetry(() => sealOnce(file, publicKey, fileDescriptor, opts));
    },
  };
}
