/**
 * How a file travels to the Worker. Each mode is one {@link UploadMethod}; the page only ever calls
 * `upload()` and shows `summary`, so another mode is one more entry in {@link createUploadMethods}.
 *
 * - `sealed` (the default): the browser encrypts the file with sdk-core's `seal` (through the typed
 *   client's `uploadSealed`) before it leaves; the Worker only signs and forwards ciphertext.
 * - `plain`: the file goes to the Worker as is (over HTTPS) and the Worker encrypts it on its way
 *   through to digi.me.
 * - `import`: the Worker's contract uses digi.me's import API (`writeApi: "import"` in
 *   `GET /api/session`): the file goes to the Worker as is (over HTTPS), which streams it on to
 *   digi.me over TLS. That API has no envelope, so there is nothing to seal on the device.
 *
 * A file over {@link RESUMABLE_THRESHOLD} goes in every mode through the Worker's resumable uploads
 * (tus) with tus-js-client (`tus-upload.ts`): in PATCHes, resumed after a dropped connection, paused
 * and resumed with the page's buttons, and resumed after a page reload when the same file is chosen
 * again (the same name, size, date and sampled bytes: `resume-store.ts`'s `resumeId`): its URL
 * and, for a sealed one, its key (a non-extractable `CryptoKey`) are kept until it is delivered,
 * refused or ended.
 */
import {
  type EdgeClient,
  EdgeClientError,
  type FileDescriptorInput,
  type ResumablePlan,
  type UploadResult,
} from "@digime-edge/edge-worker/client";
import type { CbcChain } from "@digime-edge/sdk-core/internal";
import type { PauseSwitch } from "./pause-switch.ts";
import {
  forgetUpload,
  keepChain,
  keepPlan,
  keepUrl,
  keptEarlierIds,
  keptPlan,
  keptUrl,
  PROVISIONAL_KEEP_MS,
  resumeId,
} from "./resume-store.ts";
import { endUpload, sendWithTus } from "./tus-upload.ts";

/** The upload modes this app knows. */
export type UploadMode = "sealed" | "plain" | "import";

/** What an upload is doing: encrypting on this device, or sending over the network. */
export type UploadPhase = "sealing" | "sending";

/** Where an upload is, as one bar: `done` is the share of the whole upload (0 to 1), when known. */
export interface UploadProgress {
  phase: UploadPhase;
  done: number | undefined;
}

/** What the page passes to every mode. */
export interface UploadRequest {
  /** The file the person chose. */
  file: File;
  /** Tags and the like, encrypted into the file's metadata; the rest is filled in for the mode. */
  descriptor: FileDescriptorInput | undefined;
  /** Called as the upload moves on: encrypting here (sealed mode), then sending. */
  onProgress: (progress: UploadProgress) => void;
  /** Cancels the upload (a resumable one is ended: the Worker deletes what it has). */
  signal: AbortSignal;
  /** Pauses and resumes a resumable upload (see {@link isResumable}); others ignore it. */
  pause: PauseSwitch;
}

/** One way of uploading. */
export interface UploadMethod {
  readonly mode: UploadMode;
  /** One line for the page: what happens to the file on its way. */
  readonly summary: string;
  /** A few words for each upload in the list: who encrypted it. */
  readonly label: string;
  /** Sends the file; rejects with the client's `EdgeClientError` on failure. */
  upload(request: UploadRequest): Promise<UploadResult>;
}

/** Files larger than this go through resumable uploads (`/api/uploads`), in every mode. */
export const RESUMABLE_THRESHOLD = 16 * 1024 * 1024;

/** Bytes per PATCH of a resumable upload. */
export const RESUMABLE_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * The failures after which a resumable upload is kept to be resumed (with Retry, or after a reload):
 * the connection stayed down, another tab is sending it, the user asked too fast, the Worker's
 * staging failed for a moment.
 */
const KEPT_ON = new Set(["NETWORK", "UPLOAD_LOCKED", "RATE_LIMITED", "STAGING_UNAVAILABLE"]);

/** The answers that say a kept upload is no more: it is sent again from the start. */
const GONE = new Set(["NOT_FOUND", "UPLOAD_EXPIRED"]);

/** Whether `file` goes through resumable uploads (and can be paused). */
export const isResumable = (file: File): boolean => file.size > RESUMABLE_THRESHOLD;

/** The mode the page uses unless told otherwise. */
export const DEFAULT_UPLOAD_MODE: UploadMode = "sealed";

/**
 * The share of the progress bar given to encrypting on the device in sealed mode. The AES work
 * (WebCrypto) usually runs far faster than the upload, so it gets the first fifth of the bar and
 * sending the rest; the bar then moves at a fairly even pace through both.
 */
export const SEALING_SHARE = 0.2;

const share = (part: number, whole: number | undefined): number | undefined => {
  if (whole === undefined) return undefined;
  return whole > 0 ? Math.min(1, Math.max(0, part / whole)) : 1;
};

/**
 * {@link resumeId} of the request's file, which reads parts of it, unless the upload is cancelled
 * before or while they are read.
 *
 * @throws EdgeClientError: `ABORTED`; `FILE_UNREADABLE` when the file cannot be read (it was moved
 *   or changed on disk since it was chosen: the browser's `NotReadableError`).
 */
async function resumeIdOf(request: UploadRequest, mode: UploadMode): Promise<string> {
  const cancelled = () => new EdgeClientError(0, "ABORTED", "the upload was cancelled");
  if (request.signal.aborted) throw cancelled();
  let id: string;
  try {
    id = await resumeId(mode, request.file);
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new EdgeClientError(0, "FILE_UNREADABLE", `the file could not be read (${reason})`);
  }
  if (request.signal.aborted) throw cancelled();
  return id;
}

/**
 * The upload modes, bound to a client.
 *
 * @param client - The edge Worker's typed client.
 * @param workerOrigin - The Worker's origin (the page's own when it serves the page).
 * @returns One method per mode.
 */
export function createUploadMethods(
  client: EdgeClient,
  workerOrigin: string,
): Record<UploadMode, UploadMethod> {
  const endpoint = new URL("/api/uploads", workerOrigin).href;

  /**
   * Sends `file` with tus-js-client by `plan`: a new upload, or the one at `uploadUrl` (a sealed
   * one from its kept chaining block, `chain`).
   */
  const send = async (
    request: UploadRequest,
    id: string,
    plan: ResumablePlan,
    kept: { uploadUrl: string; chain?: CbcChain | undefined } | undefined,
  ) => {
    const sealed = plan.sealing !== undefined;
    const uploadUrl = kept?.uploadUrl;
    try {
      const result = await sendWithTus({
        // A kept upload is resumed or fails (gone: NOT_FOUND, UPLOAD_EXPIRED), never made again
        // from a kept plan, whose envelope was made for the session of its day.
        endpoint: uploadUrl ? null : endpoint,
        uploadUrl,
        fingerprint: id,
        file: request.file,
        plan,
        chain: kept?.chain,
        onChain: (chain) => void keepChain(id, chain),
        chunkSize: RESUMABLE_CHUNK_BYTES,
        pause: request.pause,
        signal: request.signal,
        onUploadUrl: (url, expiresAt = Date.now() + PROVISIONAL_KEEP_MS) => {
          keepUrl(id, url, expiresAt);
          if (sealed) void keepPlan(id, plan, expiresAt);
        },
        onProgress: (sent, total) => request.onProgress({ phase: "sending", done: share(sent, total) }),
      });
      await forgetUpload(id);
      return result;
    } catch (error) {
      // Kept only while it can be resumed later, not once it was refused, ended or gone.
      if (!KEPT_ON.has((error as { code?: string }).code ?? "")) await forgetUpload(id);
      throw error;
    }
  };

  /**
   * A large file with tus-js-client, sealed here or not. The same file chosen again (after a
   * reload, say) resumes the upload kept for it, a sealed one with its kept key; when that upload
   * is gone (expired, ended, another session's), or a sealed one's key is, it starts again. An
   * upload kept for the file as it was before it changed in place (the same name, size and date,
   * other sampled bytes) is ended and forgotten, its key with it: it holds other bytes.
   */
  const resumable = async (request: UploadRequest, mode: UploadMode): Promise<UploadResult> => {
    const { file, descriptor } = request;
    const sealed = mode === "sealed";
    const id = await resumeIdOf(request, mode);
    for (const earlier of keptEarlierIds(id)) {
      const url = keptUrl(earlier);
      await forgetUpload(earlier);
      // Not waited for: should the Worker not end it now, it deletes it when it expires.
      if (url) void endUpload(url).catch(() => {});
    }
    const prepare = () =>
      client.prepareResumable(file, { sealed, fileName: file.name, ...(descriptor ? { descriptor } : {}) });
    const uploadUrl = keptUrl(id);
    const kept = uploadUrl && sealed ? await keptPlan(id) : undefined;
    if (uploadUrl && (kept || !sealed)) {
      try {
        return await send(request, id, kept?.plan ?? (await prepare()), { uploadUrl, chain: kept?.chain });
      } catch (error) {
        if (!GONE.has((error as { code?: string }).code ?? "")) throw error;
      }
    }
    const plan = await prepare();
    if (sealed) await keepPlan(id, plan, Date.now() + PROVISIONAL_KEEP_MS);
    return send(request, id, plan, undefined);
  };

  const sendAsIs =
    (mode: UploadMode): UploadMethod["upload"] =>
    (request) => {
      if (isResumable(request.file)) return resumable(request, mode);
      const { file, descriptor, onProgress, signal } = request;
      return client.upload(file, descriptor, {
        fileName: file.name,
        signal,
        onProgress: (sent, total) => onProgress({ phase: "sending", done: share(sent, total) }),
      });
    };
  return {
    sealed: {
      mode: "sealed",
      summary: "Encrypted on this device before it leaves: the Worker only ever sees ciphertext.",
      label: "encrypted here",
      upload: (request) => {
        const { file, descriptor, onProgress, signal } = request;
        return isResumable(file)
          ? resumable(request, "sealed")
          : client.uploadSealed(file, descriptor, {
              fileName: file.name,
              signal,
              onSealProgress: (read, total) => {
                const done = share(read, total);
                onProgress({ phase: "sealing", done: done === undefined ? undefined : done * SEALING_SHARE });
              },
              onProgress: (sent, total) => {
                const done = share(sent, total);
                onProgress({
                  phase: "sending",
                  done: done === undefined ? undefined : SEALING_SHARE + done * (1 - SEALING_SHARE),
                });
              },
            });
      },
    },
    plain: {
      mode: "plain",
      summary: "Sent to the Worker over HTTPS; the Worker encrypts it on the way and keeps no copy.",
      label: "encrypted by the Worker",
      upload: sendAsIs("plain"),
    },
    import: {
      mode: "import",
      summary: "digi.me receives the file over TLS: its import API has no sealing on this device.",
      label: "sent over TLS",
      upload: sendAsIs("import"),
    },
  };
}
