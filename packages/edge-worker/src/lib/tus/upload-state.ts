/**
 * The state of one user's resumable uploads, kept in the user's Durable Object (table `uploads`,
 * vault schema step 4): offset, staged parts, expiry, mode, the R2 multipart upload and, for a plain
 * upload, its staging key. One PATCH at a time holds an upload's lock. An upload moves only
 * forward: `receiving` → `complete` (every byte staged) → `delivering` → `delivered` or `failed`,
 * or back to `complete` when digi.me surely did not take it (so it is delivered at most once).
 */
import type { ApiFailure } from "../digime.ts";
import { randomId } from "../signing.ts";
import { LEASE_TTL_MS } from "../upload-leases.ts";
import { dropAllUploads, dropUpload, sweepUploads, tryDropUpload } from "./upload-cleanup.ts";
import { toUpload, type UploadRow } from "./upload-rows.ts";
import {
  STAGING_PART_BYTES,
  type StagedPart,
  type StagedUpload,
  SWEEP_RETRY_MS,
  tailKey,
  type UploadMode,
  type UploadResult,
} from "./upload-types.ts";

const fail = (status: ApiFailure["status"], code: ApiFailure["code"], message: string) =>
  ({ ok: false, status, code, message }) as const;

const NOT_FOUND = fail(404, "NOT_FOUND", "no such upload");
const LOST_LOCK = fail(409, "UPLOAD_LOCKED", "this PATCH no longer holds the upload; resume it");

/** The uploads table of one vault, and their staged objects in R2. */
export class StagedUploads {
  readonly #storage: DurableObjectStorage;
  readonly #bucket: R2Bucket;

  /**
   * @param storage - The vault's storage (schema step 4 or later).
   * @param bucket - The staging bucket (`TUS_STAGING`).
   */
  constructor(storage: DurableObjectStorage, bucket: R2Bucket) {
    this.#storage = storage;
    this.#bucket = bucket;
  }

  #row(id: string): UploadRow | undefined {
    return this.#storage.sql.exec<UploadRow>("SELECT * FROM uploads WHERE id = ?", id).toArray()[0];
  }

  /** How many uploads the user has in progress (not yet delivered, failed or expired). */
  count(): number {
    return this.#storage.sql
      .exec<{ n: number }>(
        "SELECT COUNT(*) AS n FROM uploads WHERE state NOT IN ('delivered', 'failed') AND expires_at > ?",
        Date.now(),
      )
      .one().n;
  }

  /**
   * Starts an upload: an R2 multipart upload, its row, and (plain, import) a fresh staging key.
   *
   * @param input - Mode, declared length, metadata (JSON), expiry, and the staging key when not sealed.
   */
  async create(input: {
    mode: UploadMode;
    length: number;
    metadata: string;
    expiresAt: number;
    stagingKey?: Uint8Array<ArrayBuffer>;
  }): Promise<{ id: string }> {
    const id = randomId(16);
    const r2Key = `staging/${id}`;
    const multipart = await this.#bucket.createMultipartUpload(r2Key);
    this.#storage.sql.exec(
      `INSERT INTO uploads (id, mode, length, offset, r2_key, r2_upload_id, parts, tail_bytes,
       staging_key, metadata, state, created_at, expires_at)
       VALUES (?, ?, ?, 0, ?, ?, '[]', 0, ?, ?, 'receiving', ?, ?)`,
      id,
      input.mode,
      input.length,
      r2Key,
      multipart.uploadId,
      input.stagingKey ?? null,
      input.metadata,
      Date.now(),
      input.expiresAt,
    );
    return { id };
  }

  /**
   * An upload as HEAD and PATCH see it: 404 when there is none, 410 `UPLOAD_EXPIRED` past its expiry.
   *
   * @param id - The upload's id.
   */
  get(id: string): UploadResult<{ upload: StagedUpload }> {
    const row = this.#live(id);
    return row.ok ? { ok: true, upload: toUpload(row.row) } : row;
  }

  /** The row as {@link StagedUploads.get} finds it: 404 when there is none, 410 past its expiry. */
  #live(id: string): UploadResult<{ row: UploadRow }> {
    const row = this.#row(id);
    if (!row) return NOT_FOUND;
    if (row.expires_at <= Date.now()) return fail(410, "UPLOAD_EXPIRED", "this upload has expired");
    return { ok: true, row };
  }

  /**
   * Takes an upload's lock for one PATCH at `offset`: 409 `OFFSET_MISMATCH` when the upload is
   * elsewhere, 423 `UPLOAD_LOCKED` while another PATCH holds it. A delivered or failed upload is
   * returned unlocked (its result stands). A delivery whose PATCH was cut off is failed here with
   * an unknown outcome: it may have reached digi.me, so it is never sent again.
   *
   * @param id - The upload's id.
   * @param offset - The PATCH's `Upload-Offset`.
   */
  lock(id: string, offset: number): UploadResult<{ upload: StagedUpload; lockId: string }> {
    const found = this.#live(id);
    if (!found.ok) return found;
    const { row } = found;
    const now = Date.now();
    if (row.lock_until !== null && row.lock_until > now)
      return fail(423, "UPLOAD_LOCKED", "another request is writing to this upload; try again shortly");
    if (row.state === "delivering") {
      const body = JSON.stringify({
        error: {
          code: "DIGIME_OUTCOME_UNKNOWN",
          message: "the delivery of this upload was cut off: it may be stored; check the library",
        },
      });
      const result = JSON.stringify({ status: 502, body });
      this.#storage.sql.exec(
        "UPDATE uploads SET state = 'failed', result = ?, lock_id = NULL, lock_until = NULL WHERE id = ?",
        result,
        id,
      );
      return { ok: true, upload: toUpload({ ...row, state: "failed", result }), lockId: "" };
    }
    if (row.state === "delivered" || row.state === "failed")
      return { ok: true, upload: toUpload(row), lockId: "" };
    if (offset !== row.offset)
      return fail(409, "OFFSET_MISMATCH", `Upload-Offset must be ${row.offset}, the bytes received so far`);
    const lockId = crypto.randomUUID();
    this.#storage.sql.exec(
      "UPDATE uploads SET lock_id = ?, lock_until = ? WHERE id = ?",
      lockId,
      now + LEASE_TTL_MS,
      id,
    );
    return { ok: true, upload: toUpload(row), lockId };
  }

  /** The row when `lockId` holds its lock now (renewed), else undefined. */
  #held(id: string, lockId: string): UploadRow | undefined {
    const row = this.#row(id);
    if (!row || !lockId || row.lock_id !== lockId) return undefined;
    this.#storage.sql.exec("UPDATE uploads SET lock_until = ? WHERE id = ?", Date.now() + LEASE_TTL_MS, id);
    return row;
  }

  /**
   * Keeps a PATCH's lock.
   *
   * @param id - The upload's id.
   * @param lockId - The lock {@link StagedUploads.lock} gave.
   */
  renew(id: string, lockId: string): boolean {
    return this.#held(id, lockId) !== undefined;
  }

  /**
   * Records the bytes a PATCH staged: its new parts and its tail (which replaces the one before).
   * Returns the tail key no longer in use, for the caller to delete.
   *
   * @param id - The upload's id.
   * @param lockId - The PATCH's lock.
   * @param staged - Every part now staged, and the new tail's size.
   */
  record(
    id: string,
    lockId: string,
    staged: { parts: StagedPart[]; tailBytes: number },
  ): UploadResult<{ offset: number; staleTail?: string }> {
    const row = this.#held(id, lockId);
    if (!row) return LOST_LOCK;
    const upload = { r2Key: row.r2_key };
    // Every part is a whole part but the last, which ends the upload.
    const offset = Math.min(row.length, staged.parts.length * STAGING_PART_BYTES + staged.tailBytes);
    this.#storage.sql.exec(
      "UPDATE uploads SET parts = ?, tail_bytes = ?, offset = ? WHERE id = ?",
      JSON.stringify(staged.parts),
      staged.tailBytes,
      offset,
      id,
    );
    const stale =
      row.tail_bytes > 0
        ? tailKey(upload, (JSON.parse(row.parts) as StagedPart[]).length, row.tail_bytes)
        : undefined;
    const current = staged.tailBytes > 0 ? tailKey(upload, staged.parts.length, staged.tailBytes) : undefined;
    return { ok: true, offset, ...(stale && stale !== current ? { staleTail: stale } : {}) };
  }

  /**
   * Moves a fully staged upload on: `receiving` → `complete` (R2's multipart upload completed),
   * `complete` → `delivering` (the delivery starts: from here it is never started again).
   *
   * @param id - The upload's id.
   * @param lockId - The PATCH's lock.
   * @param to - `complete` or `delivering`.
   */
  advance(id: string, lockId: string, to: "complete" | "delivering"): UploadResult<object> {
    const row = this.#held(id, lockId);
    if (!row) return LOST_LOCK;
    const from = to === "complete" ? "receiving" : "complete";
    if (row.state !== from || row.offset !== row.length) return LOST_LOCK;
    this.#storage.sql.exec("UPDATE uploads SET state = ?, parts = '[]', tail_bytes = 0 WHERE id = ?", to, id);
    return { ok: true };
  }

  /**
   * Ends a delivery: `delivered` or `failed` with its answer (kept until the upload expires, so a
   * repeated PATCH gets the same response), or back to `complete` when digi.me surely did not take
   * the file (a later PATCH delivers it). Releases the lock.
   *
   * @param id - The upload's id.
   * @param lockId - The PATCH's lock.
   * @param outcome - The answer, and the state it leaves.
   */
  settle(
    id: string,
    lockId: string,
    outcome: { state: "delivered" | "failed" | "complete"; status: number; body: string },
  ): void {
    const row = this.#row(id);
    if (!row || row.lock_id !== lockId || row.state !== "delivering") return;
    this.#storage.sql.exec(
      "UPDATE uploads SET state = ?, result = ?, lock_id = NULL, lock_until = NULL WHERE id = ?",
      outcome.state,
      outcome.state === "complete" ? null : JSON.stringify({ status: outcome.status, body: outcome.body }),
      id,
    );
  }

  /**
   * Gives a PATCH's lock back.
   *
   * @param id - The upload's id.
   * @param lockId - The PATCH's lock.
   */
  unlock(id: string, lockId: string): void {
    this.#storage.sql.exec(
      "UPDATE uploads SET lock_id = NULL, lock_until = NULL WHERE id = ? AND lock_id = ?",
      id,
      lockId,
    );
  }

  /**
   * Ends an upload (tus termination): its row and everything staged. 423 while a PATCH holds it.
   *
   * @param id - The upload's id.
   */
  async terminate(id: string): Promise<UploadResult<object>> {
    const row = this.#row(id);
    if (!row) return NOT_FOUND;
    if (row.lock_until !== null && row.lock_until > Date.now())
      return fail(423, "UPLOAD_LOCKED", "a request is writing to this upload; try again shortly");
    await dropUpload(this.#storage.sql, this.#bucket, row);
    return { ok: true };
  }

  /**
   * Drops an upload whose creation-with-upload failed (its client got no `Location`): its row and
   * what it staged. Should R2 fail to delete, it expires now instead (no longer counted, 410 to
   * HEAD) and the alarm's sweep deletes it shortly. An upload locked, delivering or delivered stays.
   *
   * @param id - The upload's id.
   */
  async abandon(id: string): Promise<void> {
    const row = this.#row(id);
    const now = Date.now();
    if (!row || (row.lock_until !== null && row.lock_until > now)) return;
    if (row.state !== "receiving" && row.state !== "complete") return;
    if (await tryDropUpload(this.#storage.sql, this.#bucket, row)) return;
    this.#storage.sql.exec("UPDATE uploads SET expires_at = ? WHERE id = ?", now, id);
    const alarm = await this.#storage.getAlarm();
    const retry = now + SWEEP_RETRY_MS;
    if (alarm === null || alarm > retry) await this.#storage.setAlarm(retry);
  }

  /**
   * Deletes every upload past its expiry (and what it staged).
   *
   * @returns The earliest expiry left, if any.
   */
  async sweep(): Promise<number | undefined> {
    return sweepUploads(this.#storage.sql, this.#bucket);
  }

  /** Deletes every upload and what it staged (see `dropAllUploads`). */
  async dropAll(): Promise<void> {
    await dropAllUploads(this.#storage.sql, this.#bucket);
  }
}
