/**
 * @packageDocumentation A small typed client for the edge Worker, for the browser app: session
 * check, sign-in URL, sign-out and uploads with progress, plain (`upload`: the Worker encrypts) or
 * sealed (`uploadSealed`: the browser encrypts with sdk-core's `seal`, and the Worker only signs and
 * forwards ciphertext). Built on Hono's `hc`; the app never sees a key or a token, only its session
 * cookie (sent with `credentials: "include"`).
 */
import { type FileDescriptor, type SealedFile, seal } from "@digime-edge/sdk-core";
import { hc } from "hono/client";
import { EdgeClientError, INCLUDE, parse, toError } from "./client-http";
import { type ImportApiMethods, importApiMethods } from "./client-import";
import { type ResumableMethods, resumableMethods } from "./client-resumable";
import type { AppType } from "./index";
import { completeDescriptor } from "./lib/complete-descriptor";
import type { DescriptorInput } from "./lib/descriptor";
import { SEALED_HEADERS } from "./lib/sealed-envelope";
import type { UploadResult } from "./routes/files";
import type { SessionInfo } from "./routes/session";

export { EdgeClientError, type EdgeErrorCode } from "./client-http";
export type { ImportApiMethods, PushFhirOptions } from "./client-import";
export type { ResumableMethods, ResumableUploadOptions } from "./client-resumable";
export type { ApiErrorCode } from "./errors";
export type { AppType } from "./index";
export type { DescriptorInput as FileDescriptorInput } from "./lib/descriptor";
export { SEALED_HEADERS } from "./lib/sealed-envelope";
export type { AccountInfo, AccountsResult } from "./routes/accounts";
export type { FhirPushRequest, FhirPushResult, FhirVersion } from "./routes/fhir";
export type { UploadResult } from "./routes/files";
export type { SealedUploadResult } from "./routes/sealed-files";
export type { SessionInfo, WriteApi } from "./routes/session";
export type { DeleteUserResult } from "./routes/user";

/** Options of {@link createClient}. */
export interface EdgeClientOptions {
  /** A `fetch` to use instead of the global one (uploads then use it too, without XHR). */
  fetch?: typeof fetch;
}

/** Options of {@link EdgeClient.upload}. */
export interface UploadOptions {
  /** Called as the request body is sent: bytes `sent` of `total` (the whole multipart body). */
  onProgress?: (sent: number, total: number | undefined) => void;
  /** Cancels the upload. */
  signal?: AbortSignal;
  /** File name to send; defaults to the `File`'s name, or `upload`. */
  fileName?: string;
}

/**
 * How {@link EdgeClient.uploadSealed} sends the sealed body:
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

/** Options of {@link EdgeClient.uploadSealed}. */
export interface SealedUploadOptions extends UploadOptions {
  /** How the sealed body travels; see {@link SealedTransport}. */
  transport?: SealedTransport;
  /** Called as the file is read and encrypted: plaintext bytes read so far, of the file's size. */
  onSealProgress?: (read: number, total: number | undefined) => void;
}

/** Options of {@link EdgeClient.signInUrl}. */
export interface SignInOptions {
  /**
   * `push` to list the services that take provider pushes (a health provider's `PUSH` account, for
   * {@link ImportApiMethods.pushFhir}); default `pull`.
   */
  sourceType?: "pull" | "push";
}

/** The client that {@link createClient} makes. */
export interface EdgeClient extends ImportApiMethods, ResumableMethods {
  /** The underlying `hc` client, typed from the Worker's routes. */
  readonly api: ReturnType<typeof hc<AppType>>;
  /** Whether the user is signed in and can upload. */
  session(): Promise<SessionInfo>;
  /**
   * The URL to navigate to for signing in (a full-page navigation, not a fetch).
   *
   * @param returnTo - Where to come back to: a path on the Worker or a URL on an allowed app origin.
   * @param options - `sourceType`.
   */
  signInUrl(returnTo?: string, options?: SignInOptions): string;
  /** Signs out: the Worker forgets the user's tokens. */
  signOut(): Promise<void>;
  /**
   * Uploads a file to the user's digi.me library. Uses XHR for upload progress where it exists (and
   * no `fetch` was given), `fetch` otherwise. Retries once when the Worker answers
   * `TOKEN_REFRESHED_RETRY` (its token was refreshed after the body had been sent).
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
   * between can read the file. When the Worker answers `TOKEN_REFRESHED_RETRY` (its token was
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

interface XhrLike {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: unknown): void;
  abort(): void;
  withCredentials: boolean;
  status: number;
  responseText: string;
  getResponseHeader(name: string): string | null;
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

function uploadWithXhr(
  Xhr: new () => XhrLike,
  url: string,
  body: FormData | Blob,
  headers: Record<string, string>,
  { onProgress, signal }: UploadOptions,
): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const xhr = new Xhr();
    xhr.open("POST", url);
    xhr.withCredentials = true;
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
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
      reject(new EdgeClientError(0, "NETWORK", "the upload got no answer"));
    };
    xhr.onabort = () => {
      done();
      reject(new EdgeClientError(0, "ABORTED", "the upload was cancelled"));
    };
    if (signal?.aborted) xhr.abort();
    else xhr.send(body);
  });
}

const aborted = () => new EdgeClientError(0, "ABORTED", "the upload was cancelled");

/** The sealed body as a `Blob` (kept by the browser, in memory or on disk; it never leaves the device). */
async function sealedBlob(body: SealedFile["body"], signal: AbortSignal | undefined): Promise<Blob> {
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

/** `body` as a stream that reports how much of it has been taken by `fetch`. */
function counted(
  body: SealedFile["body"],
  total: number | undefined,
  onProgress: UploadOptions["onProgress"],
): ReadableStream<Uint8Array> {
  const source = body instanceof Uint8Array ? new Blob([body]).stream() : body;
  if (!onProgress) return source;
  let sent = 0;
  return source.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        sent += chunk.byteLength;
        controller.enqueue(chunk);
        onProgress(sent, total);
      },
    }),
  );
}

function isBrowser(): boolean {
  const g = globalThis as { document?: unknown; XMLHttpRequest?: unknown };
  return g.document !== undefined || g.XMLHttpRequest !== undefined;
}

/**
 * A client for the edge Worker at `baseUrl`.
 *
 * @param baseUrl - The Worker's origin (e.g. `https://edge.example`), or `""`/`/` when the app is
 *   served by the Worker itself.
 * @param options - A custom `fetch`.
 */
export function createClient(baseUrl: string, options: EdgeClientOptions = {}): EdgeClient {
  const base = baseUrl.replace(/\/+$/, "");
  const fetchFn = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const api = hc<AppType>(base || "/", { fetch: fetchFn, init: INCLUDE });
  const Xhr = (globalThis as { XMLHttpRequest?: new () => XhrLike }).XMLHttpRequest;

  const session = async () => parse<SessionInfo>(await api.api.session.$get());
  const post = async (url: string, init: RequestInit, signal: AbortSignal | undefined) => {
    let response: Response;
    try {
      response = await fetchFn(url, { ...INCLUDE, ...init, method: "POST", signal });
    } catch (error) {
      if (signal?.aborted) throw aborted();
      throw new EdgeClientError(
        0,
        "NETWORK",
        error instanceof Error ? error.message : "the upload got no answer",
      );
    }
    return parse<UploadResult>(response);
  };
  const nameOf = (file: Blob, opts: UploadOptions) =>
    opts.fileName || (file as Blob & { name?: string }).name || "upload";

  const sendOnce = async (file: Blob, descriptor: DescriptorInput | undefined, opts: UploadOptions) => {
    const form = new FormData();
    if (descriptor) form.append("fileDescriptor", JSON.stringify(descriptor));
    form.append("file", file, nameOf(file, opts));
    const url = `${base}/api/files`;
    if (Xhr && !options.fetch) return uploadWithXhr(Xhr, url, form, {}, opts);
    opts.onProgress?.(0, file.size);
    const result = await post(url, { body: form }, opts.signal);
    opts.onProgress?.(file.size, file.size);
    return result;
  };

  const transportFor = (requested: SealedTransport | undefined): Exclude<SealedTransport, "auto"> => {
    if (requested && requested !== "auto") return requested;
    if (Xhr && !options.fetch) return "xhr";
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
      return post(url, { headers, body, duplex: "half" } as RequestInit, opts.signal);
    }
    const blob = await sealedBlob(sealed.body, opts.signal);
    if (transport === "xhr") {
      if (!Xhr) throw new EdgeClientError(0, "UNSUPPORTED", "XMLHttpRequest is not available here");
      return uploadWithXhr(Xhr, url, blob, headers, opts);
    }
    opts.onProgress?.(0, blob.size);
    const result = await post(url, { headers, body: blob }, opts.signal);
    opts.onProgress?.(blob.size, blob.size);
    return result;
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
    api,
    session,
    ...importApiMethods(base, fetchFn),
    ...resumableMethods(base, fetchFn, session),
    signInUrl(returnTo, signIn = {}) {
      const query = new URLSearchParams();
      if (returnTo !== undefined) query.set("returnTo", returnTo);
      if (signIn.sourceType) query.set("sourceType", signIn.sourceType);
      const search = query.toString();
      return `${base}/auth/start${search ? `?${search}` : ""}`;
    },
    async signOut() {
      const response = await api.auth.logout.$post();
      if (!response.ok)
        throw toError(response.status, await response.text(), response.headers.get("Retry-After"));
    },
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
