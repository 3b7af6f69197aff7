/**
 * The typed client's resumable upload (`uploadResumable`): a small tus 1.0.0 client on `fetch` for
 * the Worker's `/api/uploads`, without a dependency (tus-js-client works against the same routes
 * and is what the tests hold the Worker to; this keeps the app's bundle small). The file goes in
 * PATCHes of `chunkBytes`; after a dropped connection it asks HEAD where the upload stands and goes
 * on from there. What the creation sends is the plan (`client-resumable-plan.ts`), which
 * `prepareResumable` gives to a tus client of the app's own, such as tus-js-client; the body, read
 * from any offset (and for a sealed upload encrypted as it is read), is `client-resumable-source.ts`.
 */
import { EdgeClientError, INCLUDE, parse, toError } from "./client-http.ts";
import { type ResumablePlan, type ResumablePlanOptions, resumablePlan } from "./client-resumable-plan.ts";
import { type Source, uploadSource } from "./client-resumable-source.ts";
import { aborted } from "./client-transport.ts";
import { formatUploadMetadata } from "./lib/tus/metadata.ts";
import { OFFSET_OCTET_STREAM, TUS_VERSION } from "./lib/tus/protocol.ts";
import type { UploadResult } from "./lib/upload.ts";
import type { SessionInfo } from "./routes/session.ts";

export type { ResumablePlan, ResumablePlanOptions } from "./client-resumable-plan.ts";

/** Default bytes per PATCH: 16 MiB (the Worker takes up to `TUS_CHUNK_MAX_BYTES`, 50 MiB by default). */
export const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;

/** The first wait after a 423 (`UPLOAD_LOCKED`), in ms; each further one waits that much longer. */
export const LOCKED_WAIT_MS = 500;

/** Waits `ms`, or until `signal` aborts (then `ABORTED`). */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      reject(aborted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", done);
      resolve();
    }, ms);
    if (signal?.aborted) done();
    else signal?.addEventListener("abort", done, { once: true });
  });
}

/** Options of `uploadResumable`: those of its plan (sealing, descriptor, file name), and these. */
export interface ResumableUploadOptions extends ResumablePlanOptions {
  /** Called after every PATCH: bytes the Worker has of `total` (for a sealed upload, of the ciphertext). */
  onProgress?: (sent: number, total: number) => void;
  /** Stops the upload (it stays resumable until it expires: see `uploadUrl`). */
  signal?: AbortSignal;
  /** Bytes per PATCH (default {@link DEFAULT_CHUNK_BYTES}; at most the Worker's `TUS_CHUNK_MAX_BYTES`). */
  chunkBytes?: number;
  /**
   * Dropped connections (and 409/423 answers after one) to resume from before giving up (default
   * 5; each asks HEAD first; after a 423 it waits 0.5 s, 1 s, 1.5 s, ... for the cut-off PATCH).
   */
  retries?: number;
  /**
   * A plain upload to resume (e.g. after a page reload): its URL, as `onUploadUrl` gave it. The
   * file must be the same. A sealed upload cannot be resumed by another call (its key is gone).
   */
  uploadUrl?: string;
  /** Called with the upload's URL once it is created: keep it to resume a plain upload later. */
  onUploadUrl?: (url: string) => void;
}

/** The resumable upload of a client. */
export interface ResumableMethods {
  /**
   * What a resumable upload of `file` sends when created (and how a sealed one encrypts its body),
   * for a tus client of the app's own. A sealed plan has a new envelope for the session's postbox
   * key; keep it (its key as the `CryptoKey` it is) for as long as the upload may be resumed.
   *
   * @param file - The file or blob.
   * @param options - Sealing, descriptor, file name.
   * @throws EdgeClientError: `UNAUTHENTICATED`, `SEALING_UNAVAILABLE` (sealed, without a postbox
   *   key), `SEAL_FAILED` (the key did not import, or the envelope failed).
   */
  prepareResumable(file: Blob, options?: ResumablePlanOptions): Promise<ResumablePlan>;
  /**
   * Uploads a file of any size (up to the Worker's `TUS_MAX_UPLOAD_BYTES`) through `/api/uploads`,
   * resuming after dropped connections. Returns as `upload` does once the file is delivered.
   *
   * @param file - The file or blob.
   * @param options - Sealing, descriptor, progress, cancellation, chunk size, resuming.
   * @throws EdgeClientError: the Worker's codes, `NETWORK` (after `retries` resumes), `ABORTED`,
   *   `UNSUPPORTED` (resuming a sealed upload), `SEAL_FAILED`.
   */
  uploadResumable(file: Blob, options?: ResumableUploadOptions): Promise<UploadResult>;
}

/**
 * The resumable upload for a Worker at `base`.
 *
 * @param base - The Worker's origin without a trailing slash (`""` for the page's own).
 * @param fetchFn - The `fetch` to use.
 * @param session - Reads `/api/session` (for a sealed upload's key and account).
 */
export function resumableMethods(
  base: string,
  fetchFn: typeof fetch,
  session: () => Promise<SessionInfo>,
): ResumableMethods {
  const request = async (url: string, init: RequestInit, signal: AbortSignal | undefined) => {
    try {
      return await fetchFn(url, { ...INCLUDE, ...init, ...(signal ? { signal } : {}) });
    } catch (error) {
      if (signal?.aborted) throw aborted();
      throw new EdgeClientError(0, "NETWORK", error instanceof Error ? error.message : "no answer");
    }
  };
  const tus = (more: Record<string, string> = {}) => ({ "Tus-Resumable": TUS_VERSION, ...more });

  const prepareResumable = (file: Blob, opts: ResumablePlanOptions = {}) =>
    resumablePlan(file, opts, session);

  /** Creates the upload of `plan`: its URL, on the Worker's origin. */
  const create = async (plan: ResumablePlan, signal: AbortSignal | undefined): Promise<string> => {
    const created = await request(
      `${base}/api/uploads`,
      {
        method: "POST",
        headers: tus({
          "Upload-Length": String(plan.length),
          "Upload-Metadata": formatUploadMetadata(plan.metadata),
        }),
      },
      signal,
    );
    if (created.status !== 201)
      throw toError(created.status, await created.text(), created.headers.get("Retry-After"));
    const location = created.headers.get("Location") ?? "";
    // The Worker returns a path: on the Worker's origin (`base`, or the page's own).
    return location.startsWith("/") ? `${base}${location}` : location;
  };

  return {
    prepareResumable,
    async uploadResumable(file, opts = {}) {
      const { signal, retries = 5 } = opts;
      const chunk = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
      if (opts.sealed && opts.uploadUrl)
        throw new EdgeClientError(0, "UNSUPPORTED", "a sealed upload cannot be resumed by another call");
      const plan = await prepareResumable(file, opts);
      const source: Source = uploadSource(file, plan);
      let url = opts.uploadUrl;
      if (!url) {
        url = await create(plan, signal);
        opts.onUploadUrl?.(url);
      }
      const where = async (): Promise<number> => {
        const response = await request(url as string, { method: "HEAD", headers: tus() }, signal);
        if (response.status !== 200) throw toError(response.status, "", response.headers.get("Retry-After"));
        return Number(response.headers.get("Upload-Offset"));
      };

      let offset = opts.uploadUrl ? await where() : 0;
      let dropped = 0;
      let refreshed = false;
      for (;;) {
        if (signal?.aborted) throw aborted();
        const body = offset < source.total ? await source.read(offset, chunk) : new Uint8Array(0);
        let response: Response;
        try {
          response = await request(
            url,
            {
              method: "PATCH",
              headers: tus({ "Content-Type": OFFSET_OCTET_STREAM, "Upload-Offset": String(offset) }),
              body,
            },
            signal,
          );
        } catch (error) {
          if (!(error instanceof EdgeClientError) || error.code !== "NETWORK" || dropped >= retries)
            throw error;
          dropped += 1;
          offset = await where();
          continue;
        }
        if (response.status === 204) {
          offset = Number(response.headers.get("Upload-Offset"));
          opts.onProgress?.(offset, source.total);
          continue;
        }
        if ((response.status === 409 || response.status === 423) && dropped < retries) {
          // 409: the offset moved (an earlier PATCH's bytes arrived after all); 423: that PATCH is
          // still being taken in after its connection dropped. Wait a little, then ask again.
          dropped += 1;
          await response.body?.cancel();
          if (response.status === 423) await pause(LOCKED_WAIT_MS * dropped, signal);
          offset = await where();
          continue;
        }
        try {
          const result = await parse<UploadResult>(response);
          opts.onProgress?.(source.total, source.total);
          return result;
        } catch (error) {
          // digi.me's token was refreshed after the file went out (nothing stored): deliver once more.
          if (error instanceof EdgeClientError && error.code === "TOKEN_REFRESHED_RETRY" && !refreshed) {
            refreshed = true;
            offset = source.total;
            continue;
          }
          throw error;
        }
      }
    },
  };
}
