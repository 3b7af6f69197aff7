/**
 * Deleting resumable uploads and what they staged in R2: on termination, past their expiry, and
 * when the vault is emptied.
 */
import type { UploadRow } from "./upload-rows.ts";
import { SWEEP_RETRY_MS } from "./upload-types.ts";

/**
 * Deletes every upload past its expiry (and what it staged).
 *
 * @param sql - The vault's SQLite storage.
 * @param bucket - The staging bucket.
 * @returns The earliest expiry left, if any.
 */
export async function sweepUploads(sql: SqlStorage, bucket: R2Bucket): Promise<number | undefined> {
  const now = Date.now();
  let failed = false;
  for (const row of sql.exec<UploadRow>("SELECT * FROM uploads WHERE expires_at <= ?", now).toArray())
    failed = !(await tryDropUpload(sql, bucket, row)) || failed;
  const next =
    sql.exec<{ at: number | null }>("SELECT MIN(expires_at) AS at FROM uploads").one().at ?? undefined;
  // What R2 did not delete now is tried again in a minute, not in a loop.
  return failed && next !== undefined ? Math.max(next, now + SWEEP_RETRY_MS) : next;
}

/**
 * Deletes every upload and what it staged (the user signed out or went idle). The rows go even
 * when R2 fails (the vault is being emptied); R2 aborts a forgotten multipart upload in 7 days.
 *
 * @param sql - The vault's SQLite storage.
 * @param bucket - The staging bucket.
 */
export async function dropAllUploads(sql: SqlStorage, bucket: R2Bucket): Promise<void> {
  for (const row of sql.exec<UploadRow>("SELECT * FROM uploads").toArray())
    if (!(await tryDropUpload(sql, bucket, row))) sql.exec("DELETE FROM uploads WHERE id = ?", row.id);
}

/**
 * Logs a failure of R2 by the error's kind only: by default a failed deletion of staged objects
 * (what it left is deleted with the upload, at the latest when it expires).
 *
 * @param error - R2's error.
 * @param event - What failed.
 */
export function logStagingFailure(error: unknown, event = "staging_delete_failed"): void {
  console.error(JSON.stringify({ event, name: error instanceof Error ? error.name : typeof error }));
}

/**
 * {@link dropUpload}, logging an R2 failure by kind only; returns whether it worked.
 *
 * @param sql - The vault's SQLite storage.
 * @param bucket - The staging bucket.
 * @param row - The upload's row.
 */
export async function tryDropUpload(sql: SqlStorage, bucket: R2Bucket, row: UploadRow): Promise<boolean> {
  try {
    await dropUpload(sql, bucket, row);
    return true;
  } catch (error) {
    logStagingFailure(error);
    return false;
  }
}

/**
 * Deletes an upload's staged object and every tail it left (they share its key's prefix).
 *
 * @param bucket - The staging bucket.
 * @param r2Key - The upload's R2 key.
 */
export async function deleteStaged(bucket: R2Bucket, r2Key: string): Promise<void> {
  const stale: string[] = [r2Key];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix: `${r2Key}.tail.`, ...(cursor ? { cursor } : {}) });
    stale.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  await bucket.delete(stale);
}

/**
 * Aborts the multipart upload, deletes the completed object and every tail, then the row.
 *
 * @param sql - The vault's SQLite storage.
 * @param bucket - The staging bucket.
 * @param row - The upload's row.
 */
export async function dropUpload(sql: SqlStorage, bucket: R2Bucket, row: UploadRow): Promise<void> {
  if (row.state === "receiving") {
    await bucket
      .resumeMultipartUpload(row.r2_key, row.r2_upload_id)
      .abort()
      .catch(() => {});
  }
  await deleteStaged(bucket, row.r2_key);
  sql.exec("DELETE FROM uploads WHERE id = ?", row.id);
}
