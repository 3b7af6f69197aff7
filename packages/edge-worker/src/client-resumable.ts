/**
 * The typed client's resumable upload (`uploadResumable`): a small tus 1.0.0 client on `fetch` for
 * the Worker's `/api/uploads`, without a dependency (tus-js-client works against the same routes
 * and is what the tests hold the Worker to; this keeps the app's bundle small). The file goes in
 * PATCHes of `chunkBytes`; after a dropped connection it asks HEAD where the upload stands and goes
 * on from there. Sealed: the file is encrypted as it is read (AES-256-CBC under a new envelope from
 * sdk-core's `createEnvelope`, as `seal` does), and only the ciphertext of the PATCH in flight is
 * held (to send again from any offset within it). `prepareResumable` gives what a creation sends
 * (and a sealed upload's key and iv) to a tus client of the app's own, such as tus-js-client.
 */
import {
  cbcCiphertextSize,
  createCbcEncryptStream,
  createEnvelope,
  type FileDescriptor,
  importPostboxPublicKey,
} from "@digime-edge/sdk-core";
import { EdgeClientError, INCLUDE, parse, toError } from "./client-http.ts";
import { completeDescriptor } from "./lib/complete-descriptor.ts";
import type { DescriptorInput } from "./lib/descriptor.ts";
import { formatUploadMetadata } from "./lib/tus/metadata.ts";
import { OFFSET_OCTET_STREAM, TUS_VERSION } from "./lib/tus/protocol.ts";
import type { UploadResult } from "./lib/upload.ts";
import type { SessionInfo } from "./routes/session.ts";

/** Default bytes per PATCH: 16 MiB (the Worker takes up to `TUS_CHUNK_MAX_BYTES`, 50 MiB by default). */
export const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;

/** The first wait after a 423 (`UPLOAD_LOCKED`), in ms; each further one waits that much longer. */
export const LOCKED_WAIT_MS = 500;

/** Waits `ms`, or until `signal` aborts (then `ABORTED`). */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      reject(new EdgeClientError(0, "ABORTED", "the upload was cancelled"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", done);
      resolve();
    }, ms);
    if (signal?.aborted) done();
    else signal?.addEventListener("abort", done, { once: true });
  });
}

/** Options of `uploadResumable`. */
export interface ResumableUploadOptions {
  /** Seal the file in the browser (postbox contracts): the Worker stages and forwards ciphertext only. */
  sealed?: boolean;
  /** Optional `mimeType`, `accounts`, `tags`, `reference`. */
  descriptor?: DescriptorInput;
  /** File name to send; defaults to the `File`'s name, or `upload`. */
  fileName?: string;
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

/** What {@link ResumableMethods.prepareResumable} takes: the options that shape the creation. */
export type ResumablePlanOptions = Pick<ResumableUploadOptions, "sealed" | "descriptor" | "fileName">;

/**
 * What a resumable upload's creation sends, and for a sealed upload what its body is encrypted
 * with: enough for any tus client to send the file (and to resume a sealed one from any offset).
 */
export interface ResumablePlan {
  /** `Upload-Length`: the file's size, or for a sealed upload its ciphertext's (`cbcCiphertextSize`). */
  length: number;
  /**
   * `Upload-Metadata`, before base64: `filename`, and a sealed upload's envelope (`iv`,
   * `symmetricalKey`, `metadata`: neither holds the key in the clear) or a plain one's `filetype`
   * and `fileDescriptor`.
   */
  metadata: Record<string, string>;
  /**
   * A sealed upload's AES-256-CBC key (not extractable, usage `encrypt` only) and iv: the body is
   * the file encrypted with them, with PKCS#7 padding (from any offset: sdk-core's `internal`
   * `cbcEncryptFrom`). Absent for a plain upload, whose body is the file.
   */
  sealing?: { key: CryptoKey; iv: Uint8Array<ArrayBuffer> };
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

/** The bytes to send from any offset: slices of the file, or the ciphertext held per PATCH. */
interface Source {
  total: number;
  /** The bytes from `offset` to at most `offset + max` (as few as are left). */
  read(offset: number, max: number): Promise<Blob | Uint8Array<ArrayBuffer>>;
}

/** The sealed body, read in order; the span last read is kept to be sent again from within it. */
function ciphertextSource(body: ReadableStream<Uint8Array>, total: number): Source {
  const reader = body.getReader();
  let held = new Uint8Array(0);
  let heldFrom = 0;
  let pending: Uint8Array | undefined;
  const take = async (upTo: number): Promise<void> => {
    const parts: Uint8Array[] = [];
    let have = 0;
    const want = upTo - (heldFrom + held.length);
    while (have < want) {
      const chunk = pending ?? (await reader.read()).value;
      pending = undefined;
      if (!chunk) break;
      if (have + chunk.length > want) {
        parts.push(chunk.subarray(0, want - have));
        pending = chunk.subarray(want - have);
        have = want;
      } else {
        parts.push(chunk);
        have += chunk.length;
      }
    }
    const next = new Uint8Array(have);
    let at = 0;
    for (const part of parts) {
      next.set(part, at);
      at += part.length;
    }
    heldFrom += held.length;
    held = next;
  };
  return {
    total,
    async read(offset, max) {
      const end = Math.min(total, offset + max);
      if (offset < heldFrom)
        throw new EdgeClientError(0, "HTTP_ERROR", "the Worker went back before this PATCH");
      if (offset >= heldFrom + held.length) {
        if (offset > heldFrom + held.length) await take(offset); // not expected: the Worker is ahead
        await take(end);
      }
      return held.slice(offset - heldFrom, Math.min(end, heldFrom + held.length) - heldFrom);
    },
  };
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
      if (signal?.aborted) throw new EdgeClientError(0, "ABORTED", "the upload was cancelled");
      throw new EdgeClientError(0, "NETWORK", error instanceof Error ? error.message : "no answer");
    }
  };
  const tus = (more: Record<string, string> = {}) => ({ "Tus-Resumable": TUS_VERSION, ...more });

  const prepareResumable = async (file: Blob, opts: ResumablePlanOptions = {}): Promise<ResumablePlan> => {
    const fileName = opts.fileName || (file as Blob & { name?: string }).name || "upload";
    const metadata: Record<string, string> = { filename: fileName };
    if (!opts.sealed) {
      if (file.type) metadata.filetype = file.type;
      if (opts.descriptor) metadata.fileDescriptor = JSON.stringify(opts.descriptor);
      return { length: file.size, metadata };
    }
    const info = await session();
    if (!info.authenticated) throw new EdgeClientError(401, "UNAUTHENTICATED", "sign in first");
    const { publicKey, accountId } = info;
    if (!info.canSeal || !publicKey || !accountId)
      throw new EdgeClientError(409, "SEALING_UNAVAILABLE", "this session has no postbox key to seal for");
    const fileDescriptor: FileDescriptor = completeDescriptor(opts.descriptor, file.type, accountId);
    let envelope: Awaited<ReturnType<typeof createEnvelope>>;
    try {
      envelope = await createEnvelope({ publicKey: await importPostboxPublicKey(publicKey), fileDescriptor });
    } catch (error) {
      throw new EdgeClientError(0, "SEAL_FAILED", error instanceof Error ? error.message : "sealing failed");
    }
    return {
      length: cbcCiphertextSize(file.size),
      metadata: {
        ...metadata,
        iv: envelope.ivHex,
        symmetricalKey: envelope.symmetricalKey,
        metadata: envelope.metadata,
      },
      sealing: { key: envelope.aesKey, iv: envelope.iv },
    };
  };

  return {
    prepareResumable,
    async uploadResumable(file, opts = {}) {
      const { signal, retries = 5 } = opts;
      const chunk = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
      if (opts.sealed && opts.uploadUrl)
        throw new EdgeClientError(0, "UNSUPPORTED", "a sealed upload cannot be resumed by another call");
      const plan = await prepareResumable(file, opts);
      const { metadata } = plan;
      const source: Source = plan.sealing
        ? ciphertextSource(
            file.stream().pipeThrough(createCbcEncryptStream(plan.sealing.key, plan.sealing.iv)),
            plan.length,
          )
        : { total: file.size, read: async (offset, max) => file.slice(offset, offset + max) };

      let url = opts.uploadUrl;
      if (!url) {
        const created = await request(
          `${base}/api/uploads`,
          {
            method: "POST",
            headers: tus({
              "Upload-Length": String(source.total),
              "Upload-Metadata": formatUploadMetadata(metadata),
            }),
          },
          signal,
        );
        if (created.status !== 201)
          throw toError(created.status, await created.text(), created.headers.get("Retry-After"));
        const location = created.headers.get("Location") ?? "";
        // The Worker returns a path: on the Worker's origin (`base`, or the page's own).
        url = location.startsWith("/") ? `${base}${location}` : location;
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
        if (signal?.aborted) throw new EdgeClientError(0, "ABORTED", "the upload was cancelled");
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
