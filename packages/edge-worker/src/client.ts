/**
 * @packageDocumentation A small typed client for the edge Worker, for the browser app: session
 * check, sign-in URL, sign-out and uploads with progress. Built on Hono's `hc`; the app never sees
 * a key or a token, only its session cookie (sent with `credentials: "include"`).
 */
import { hc } from "hono/client";
import type { AppType } from "./index";
import type { DescriptorInput } from "./lib/descriptor";
import type { UploadResult } from "./routes/files";
import type { SessionInfo } from "./routes/session";

export type { AppType } from "./index";
export type { DescriptorInput as FileDescriptorInput } from "./lib/descriptor";
export type { UploadResult } from "./routes/files";
export type { SessionInfo } from "./routes/session";

/** An error answer of the Worker (`{ error: { code, message } }`), or a failed request. */
export class EdgeClientError extends Error {
  /** HTTP status, or 0 when the request got no answer. */
  readonly status: number;
  /** The Worker's error code (`NETWORK` when the request got no answer, `ABORTED` when cancelled). */
  readonly code: string;
  /** Seconds to wait before trying again, when the Worker said so. */
  readonly retryAfter: number | undefined;

  constructor(status: number, code: string, message: string, retryAfter?: number) {
    super(message);
    this.name = "EdgeClientError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

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

/** The client that {@link createClient} makes. */
export interface EdgeClient {
  /** The underlying `hc` client, typed from the Worker's routes. */
  readonly api: ReturnType<typeof hc<AppType>>;
  /** Whether the user is signed in and can upload. */
  session(): Promise<SessionInfo>;
  /**
   * The URL to navigate to for signing in (a full-page navigation, not a fetch).
   *
   * @param returnTo - Where to come back to: a path on the Worker or a URL on an allowed app origin.
   */
  signInUrl(returnTo?: string): string;
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
}

interface XhrLike {
  open(method: string, url: string): void;
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

function toError(status: number, text: string, retryAfter: string | null): EdgeClientError {
  let code = "HTTP_ERROR";
  let message = `the Worker answered HTTP ${status}`;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === "string") code = body.error.code;
    if (typeof body.error?.message === "string") message = body.error.message;
  } catch {
    // not JSON: keep the generic message
  }
  const seconds = retryAfter === null ? undefined : Number(retryAfter);
  return new EdgeClientError(status, code, message, Number.isFinite(seconds) ? seconds : undefined);
}

/** What the client reads of a response (a `Response`, or `hc`'s typed one). */
interface ResponseLike {
  ok: boolean;
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

// `credentials` is a browser notion, missing from the Workers' RequestInit type this file is also
// checked against.
const INCLUDE = { credentials: "include" } as RequestInit;

async function parse<T>(response: ResponseLike): Promise<T> {
  const text = await response.text();
  if (!response.ok) throw toError(response.status, text, response.headers.get("Retry-After"));
  return JSON.parse(text) as T;
}

function uploadWithXhr(
  Xhr: new () => XhrLike,
  url: string,
  form: FormData,
  { onProgress, signal }: UploadOptions,
): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const xhr = new Xhr();
    xhr.open("POST", url);
    xhr.withCredentials = true;
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
    else xhr.send(form);
  });
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

  const sendOnce = async (file: Blob, descriptor: DescriptorInput | undefined, opts: UploadOptions) => {
    const form = new FormData();
    if (descriptor) form.append("fileDescriptor", JSON.stringify(descriptor));
    const name = opts.fileName ?? (file as Blob & { name?: string }).name ?? "upload";
    form.append("file", file, name || "upload");
    const url = `${base}/api/files`;
    if (Xhr && !options.fetch) return uploadWithXhr(Xhr, url, form, opts);
    opts.onProgress?.(0, file.size);
    let response: Response;
    try {
      response = await fetchFn(url, { ...INCLUDE, method: "POST", body: form, signal: opts.signal });
    } catch (error) {
      if (opts.signal?.aborted) throw new EdgeClientError(0, "ABORTED", "the upload was cancelled");
      throw new EdgeClientError(
        0,
        "NETWORK",
        error instanceof Error ? error.message : "the upload got no answer",
      );
    }
    const result = await parse<UploadResult>(response);
    opts.onProgress?.(file.size, file.size);
    return result;
  };

  return {
    api,
    async session() {
      return parse<SessionInfo>(await api.api.session.$get());
    },
    signInUrl(returnTo) {
      const query = returnTo === undefined ? "" : `?returnTo=${encodeURIComponent(returnTo)}`;
      return `${base}/auth/start${query}`;
    },
    async signOut() {
      const response = await api.auth.logout.$post();
      if (!response.ok)
        throw toError(response.status, await response.text(), response.headers.get("Retry-After"));
    },
    async upload(file, descriptor, opts = {}) {
      try {
        return await sendOnce(file, descriptor, opts);
      } catch (error) {
        if (error instanceof EdgeClientError && error.code === "TOKEN_REFRESHED_RETRY") {
          return sendOnce(file, descriptor, opts);
        }
        throw error;
      }
    },
  };
}
