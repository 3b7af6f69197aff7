/**
 * How a file travels to the Worker. Each mode is one {@link UploadMethod}; the page only ever calls
 * `upload()` and shows `summary`, so adding a mode (for instance sealing the file in the browser
 * before it leaves) is one more entry in {@link createUploadMethods} and, if it becomes the default,
 * a change of {@link DEFAULT_UPLOAD_MODE}.
 */
import type { EdgeClient, FileDescriptorInput, UploadResult } from "@digime-edge/edge-worker/client";

/** The upload modes this app knows. */
export type UploadMode = "plain";

/** What the page passes to every mode. */
export interface UploadRequest {
  /** The file the person chose. */
  file: File;
  /** Tags and the like, encrypted into the file's metadata; the Worker fills in the rest. */
  descriptor: FileDescriptorInput | undefined;
  /** Bytes handed to the network so far, of `total` when known. */
  onProgress: (sent: number, total: number | undefined) => void;
  /** Cancels the upload. */
  signal: AbortSignal;
}

/** One way of uploading. */
export interface UploadMethod {
  readonly mode: UploadMode;
  /** One line for the page: what happens to the file on its way. */
  readonly summary: string;
  /** Sends the file; rejects with the client's `EdgeClientError` on failure. */
  upload(request: UploadRequest): Promise<UploadResult>;
}

/** The mode the page uses unless told otherwise. */
export const DEFAULT_UPLOAD_MODE: UploadMode = "plain";

/**
 * The upload modes, bound to a client.
 *
 * @param client - The edge Worker's typed client.
 * @returns One method per mode.
 */
export function createUploadMethods(client: EdgeClient): Record<UploadMode, UploadMethod> {
  return {
    plain: {
      mode: "plain",
      summary:
        "The file streams to the Worker over your connection; the Worker encrypts it for your library on the way through and keeps no copy.",
      upload: ({ file, descriptor, onProgress, signal }) =>
        client.upload(file, descriptor, { onProgress, signal, fileName: file.name }),
    },
  };
}
