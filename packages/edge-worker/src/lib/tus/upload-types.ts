/** The shapes of a resumable upload's state, and the sizes its staging keeps to. */
import type { ApiFailure } from "../digime.ts";

/** How soon the alarm tries again to delete what R2 failed to delete. */
export const SWEEP_RETRY_MS = 60_000;

/** Staged plaintext per R2 part (R2's smallest part but the last). Every part but the last is this size. */
export const STAGING_PART_BYTES = 5 * 1024 * 1024;

/** How an upload's bytes become a delivery. */
export type UploadMode = "plain" | "sealed" | "import";

/** Where an upload is in its life. */
export type UploadState = "receiving" | "complete" | "delivering" | "delivered" | "failed";

/** One staged R2 part. */
export interface StagedPart {
  /** R2's part number (from 1). */
  partNumber: number;
  /** R2's etag of it. */
  etag: string;
}

/** An upload as a PATCH sees it (crosses Durable Object RPC: plain data only). */
export interface StagedUpload {
  /** Its id (the last segment of its URL). */
  id: string;
  /** How it is delivered. */
  mode: UploadMode;
  /** Declared length in bytes (`Upload-Length`). */
  length: number;
  /** Bytes received and staged. */
  offset: number;
  /** The R2 object key (the multipart upload's, and the prefix of its tails). */
  r2Key: string;
  /** R2's multipart upload id. */
  r2UploadId: string;
  /** Parts staged so far. */
  parts: StagedPart[];
  /** Bytes staged in the tail object (fewer than a part), after the parts. */
  tailBytes: number;
  /** Plain and import uploads: the AES-256-GCM staging key (raw). Sealed: absent. */
  stagingKey?: Uint8Array<ArrayBuffer>;
  /** What the upload's creation gave (file name, type, descriptor or envelope), as JSON. */
  metadata: string;
  /** Where it is in its life. */
  state: UploadState;
  /** The delivery's answer (status and JSON body), once there is one. */
  result?: { status: number; body: string };
  /** When it expires (ms since the epoch). */
  expiresAt: number;
}

/** The R2 key of an upload's tail at `parts` parts and `tailBytes` bytes (a new key per state). */
export function tailKey(upload: Pick<StagedUpload, "r2Key">, parts: number, tailBytes: number): string {
  return `${upload.r2Key}.tail.${parts}.${tailBytes}`;
}

/** Result of an upload operation: the value, or a failure to respond with. */
export type UploadResult<T> = ({ ok: true } & T) | ({ ok: false } & ApiFailure);
