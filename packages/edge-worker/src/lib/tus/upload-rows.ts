/** The `uploads` table's rows (vault schema step 4), as the vault stores them. */
import type { StagedPart, StagedUpload, UploadMode, UploadState } from "./upload-types.ts";

/** One row of the `uploads` table. */
export interface UploadRow {
  /** The upload's id. */
  id: string;
  /** How it is delivered. */
  mode: UploadMode;
  /** Declared length in bytes. */
  length: number;
  /** Bytes received and staged. */
  offset: number;
  /** The R2 object key. */
  r2_key: string;
  /** R2's multipart upload id. */
  r2_upload_id: string;
  /** The staged parts (JSON). */
  parts: string;
  /** Bytes staged in the tail object. */
  tail_bytes: number;
  /** The staging key (raw), none for a sealed upload. */
  staging_key: ArrayBuffer | null;
  /** What the upload's creation gave (JSON). */
  metadata: string;
  /** Where it is in its life. */
  state: UploadState;
  /** The delivery's answer (JSON), once there is one. */
  result: string | null;
  /** The PATCH holding the lock. */
  lock_id: string | null;
  /** Until when the lock holds (ms since the epoch). */
  lock_until: number | null;
  /** When it expires (ms since the epoch). */
  expires_at: number;
  [key: string]: SqlStorageValue;
}

/**
 * A row as the upload it stores.
 *
 * @param row - The row.
 */
export function toUpload(row: UploadRow): StagedUpload {
  return {
    id: row.id,
    mode: row.mode,
    length: row.length,
    offset: row.offset,
    r2Key: row.r2_key,
    r2UploadId: row.r2_upload_id,
    parts: JSON.parse(row.parts) as StagedPart[],
    tailBytes: row.tail_bytes,
    ...(row.staging_key ? { stagingKey: new Uint8Array(row.staging_key) } : {}),
    metadata: row.metadata,
    state: row.state,
    ...(row.result ? { result: JSON.parse(row.result) as { status: number; body: string } } : {}),
    expiresAt: row.expires_at,
  };
}
