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
 * (`uploadResumable`, tus): in PATCHes, resumed after a dropped connection; a plain or import one
 * also after a page reload (its upload URL is kept in `localStorage` until it is delivered).
 */
import type { EdgeClient, FileDescriptorInput, UploadResult } from "@digime-edge/edge-worker/client";

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
  /** Cancels the upload. */
  signal: AbortSignal;
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

/** Where a plain upload's URL is kept between page loads: one key per file (name, size, date). */
const resumeKey = (file: File) => `digime-upload:${file.name}:${file.size}:${file.lastModified}`;

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
 * The upload modes, bound to a client.
 *
 * @param client - The edge Worker's typed client.
 * @returns One method per mode.
 */
export function createUploadMethods(client: EdgeClient): Record<UploadMode, UploadMethod> {
  /** A large file, resumable: sealed here or not; a plain one picks up where a reload left it. */
  const resumable = async ({ file, descriptor, onProgress, signal }: UploadRequest, sealed: boolean) => {
    const key = resumeKey(file);
    const kept = sealed ? null : localStorage.getItem(key);
    const send = (uploadUrl: string | undefined) =>
      client.uploadResumable(file, {
        sealed,
        ...(descriptor ? { descriptor } : {}),
        fileName: file.name,
        signal,
        chunkBytes: RESUMABLE_CHUNK_BYTES,
        ...(uploadUrl ? { uploadUrl } : {}),
        onUploadUrl: (url) => {
          if (!sealed) localStorage.setItem(key, url);
        },
        onProgress: (sent, total) => onProgress({ phase: "sending", done: share(sent, total) }),
      });
    try {
      const result = await (kept
        ? send(kept).catch((error: unknown) => {
            // Gone (expired, ended, another session's): start again.
            const code = (error as { code?: string }).code;
            if (code === "NOT_FOUND" || code === "UPLOAD_EXPIRED") return send(undefined);
            throw error;
          })
        : send(undefined));
      localStorage.removeItem(key);
      return result;
    } catch (error) {
      // Kept only while it can be resumed: a cancelled or cut-off upload, not a refused one.
      const code = (error as { code?: string }).code;
      if (code !== "ABORTED" && code !== "NETWORK") localStorage.removeItem(key);
      throw error;
    }
  };
  const sendAsIs: UploadMethod["upload"] = (request) => {
    if (request.file.size > RESUMABLE_THRESHOLD) return resumable(request, false);
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
      upload: ({ file, descriptor, onProgress, signal }) =>
        file.size > RESUMABLE_THRESHOLD
          ? resumable({ file, descriptor, onProgress, signal }, true)
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
            }),
    },
    plain: {
      mode: "plain",
      summary: "Sent to the Worker over HTTPS; the Worker encrypts it on the way and keeps no copy.",
      label: "encrypted by the Worker",
      upload: sendAsIs,
    },
    import: {
      mode: "import",
      summary: "digi.me receives the file over TLS: its import API has no sealing on this device.",
      label: "sent over TLS",
      upload: sendAsIs,
    },
  };
}
