/**
 * One PATCH of a resumable upload (or the body of its creation): the checks before its body, staging
 * it under the upload's lock, and the delivery when it brings the last byte.
 */
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { readBodyChunks } from "../lib/body-chunks.ts";
import { failureToError } from "../lib/digime.ts";
import { vaultFor } from "../lib/session.ts";
import { type BodyChecksum, bodyChecksum, checksumMismatch } from "../lib/tus/checksum.ts";
import { deliverUpload } from "../lib/tus/deliver.ts";
import { httpDate, OFFSET_OCTET_STREAM } from "../lib/tus/protocol.ts";
import { PatchStager } from "../lib/tus/staging.ts";
import { importStagingKey } from "../lib/tus/staging-cipher.ts";
import { deleteStaged, logStagingFailure } from "../lib/tus/upload-cleanup.ts";
import type { StagedPart, StagedUpload } from "../lib/tus/upload-types.ts";
import { bodyTiming, declaredLength } from "../lib/upload.ts";
import { LEASE_RENEW_MS } from "../lib/upload-leases.ts";

/** The path of an upload's URL (`Location`). */
export const uploadPath = (id: string): string => `/api/uploads/${id}`;

/**
 * 415 unless the body is `application/offset+octet-stream`.
 *
 * @param c - The request.
 */
export function requireOffsetOctetStream(c: Context<AppEnv>): void {
  const type = c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== OFFSET_OCTET_STREAM)
    throw new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", `send the bytes as ${OFFSET_OCTET_STREAM}`);
}

/**
 * 413 when a PATCH declares more than `TUS_CHUNK_MAX_BYTES`.
 *
 * @param c - The request.
 */
export function checkDeclaredChunk(c: Context<AppEnv>): void {
  const declared = declaredLength(c);
  const max = c.get("config").tusChunkMaxBytes;
  if (declared !== undefined && declared > max) throw chunkTooLarge(max);
}

const chunkTooLarge = (max: number) =>
  new ApiError(
    413,
    "PAYLOAD_TOO_LARGE",
    `one PATCH may carry at most ${max} bytes; send the rest in another`,
  );

/**
 * An answer's headers with the upload's offset and expiry.
 *
 * @param upload - The upload (its expiry).
 * @param offset - Its offset.
 */
export function progressHeaders(
  upload: Pick<StagedUpload, "expiresAt">,
  offset: number,
): Record<string, string> {
  return { "Upload-Offset": String(offset), "Upload-Expires": httpDate(upload.expiresAt) };
}

/**
 * Takes one PATCH's body (or a creation's) at `offset`: stages it, and when it brings the last byte,
 * delivers the upload and returns the delivery's result. What came before a cut-off body is kept.
 *
 * @param c - The PATCH's (or creation's) request.
 * @param id - The upload's id.
 * @param offset - Where the body starts.
 * @param created - The body came with the creation (201 and `Location`).
 */
export async function patchUpload(
  c: Context<AppEnv>,
  id: string,
  offset: number,
  created: boolean,
): Promise<Response> {
  const checksum = bodyChecksum(c.req.header("Upload-Checksum"));
  const vault = vaultFor(c.env, c.get("userId"));
  const locked = await vault.lockUpload(id, offset);
  if (!locked.ok) throw failureToError(locked);
  const { upload, lockId } = locked;
  const status = created ? 201 : 204;
  const location: Record<string, string> = created ? { Location: uploadPath(id) } : {};
  if (!lockId) {
    // Delivered or failed before: the same answer again, nothing delivered twice.
    const result = upload.result ?? { status: 500, body: "{}" };
    return new Response(result.body, {
      status: result.status,
      headers: { ...location, ...progressHeaders(upload, upload.length), "Content-Type": "application/json" },
    });
  }
  const renewal = setInterval(() => {
    vault.renewUpload(id, lockId).catch(() => {});
  }, LEASE_RENEW_MS);
  // settle releases the lock itself: no unlock round trip after it.
  let settled = false;
  try {
    const key = upload.stagingKey ? await importStagingKey(upload.stagingKey) : undefined;
    if (upload.state === "receiving") {
      const ledger = {
        record: async (staged: { parts: StagedPart[]; tailBytes: number }) => {
          const recorded = await vault.recordUpload(id, lockId, staged);
          if (!recorded.ok) throw failureToError(recorded);
          return recorded;
        },
      };
      const stager = new PatchStager(c.env.TUS_STAGING, upload, key, ledger, {
        deferRecords: checksum !== undefined,
      });
      const failure = await stageBody(c, upload, stager, checksum);
      if (failure) throw failure;
      if (stager.offset < upload.length) {
        return new Response(null, {
          status,
          headers: { ...location, ...progressHeaders(upload, stager.offset) },
        });
      }
      await stager.complete();
      const completed = await vault.advanceUpload(id, lockId, "complete");
      if (!completed.ok) throw failureToError(completed);
    } else if ((declaredLength(c) ?? 0) > 0) {
      throw new ApiError(413, "PAYLOAD_TOO_LARGE", "every byte of this upload has come; send an empty PATCH");
    }
    const delivering = await vault.advanceUpload(id, lockId, "delivering");
    if (!delivering.ok) throw failureToError(delivering);
    const outcome = await deliverUpload(c, { ...upload, state: "delivering" }, key);
    await vault.settleUpload(id, lockId, outcome);
    settled = true;
    // Should R2 fail here, the answer stands: the expiry sweep deletes what is left.
    if (outcome.state !== "complete")
      await deleteStaged(c.env.TUS_STAGING, upload.r2Key).catch(logStagingFailure);
    return new Response(outcome.body, {
      status: outcome.status === 200 && created ? 201 : outcome.status,
      headers: {
        ...location,
        ...outcome.headers,
        ...progressHeaders(upload, upload.length),
        "Content-Type": "application/json",
      },
    });
  } finally {
    clearInterval(renewal);
    if (!settled) await vault.unlockUpload(id, lockId).catch(() => {});
  }
}

/**
 * Reads the request body into the stager, within `TUS_CHUNK_MAX_BYTES` and the upload's length and
 * at the pipeline's minimum pace, and keeps what came short of a part as the tail, also when the
 * body was cut off or refused. With a checksum the body is kept whole or not at all: it must
 * arrive entire and match. Returns why the body was refused, if it was.
 */
async function stageBody(
  c: Context<AppEnv>,
  upload: StagedUpload,
  stager: PatchStager,
  checksum: BodyChecksum | undefined,
): Promise<ApiError | undefined> {
  const max = c.get("config").tusChunkMaxBytes;
  const declared = declaredLength(c);
  if (declared !== undefined && upload.offset + declared > upload.length)
    return new ApiError(413, "PAYLOAD_TOO_LARGE", "the PATCH goes past the upload's Upload-Length");
  await stager.open();
  let failure: ApiError | undefined;
  const body = c.req.raw.body;
  if (body) {
    const reader = readBodyChunks(body, undefined, bodyTiming(c));
    let received = 0;
    try {
      for await (const chunk of reader.chunks) {
        received += chunk.byteLength;
        if (received > max) throw chunkTooLarge(max);
        if (stager.offset + chunk.byteLength > upload.length)
          throw new ApiError(413, "PAYLOAD_TOO_LARGE", "the PATCH goes past the upload's Upload-Length");
        await checksum?.update(chunk);
        await stager.push(chunk);
      }
    } catch (error) {
      await reader.cancel(error);
      failure =
        error instanceof ApiError
          ? error
          : new ApiError(400, "UPLOAD_INTERRUPTED", "the body was cut off; HEAD the upload and resume it");
    }
  }
  if (checksum && !failure && !(await checksum.matches())) failure = checksumMismatch();
  // A body with a checksum is kept whole or not at all: nothing of it was recorded yet.
  if (checksum && failure) return failure;
  if (stager.offset < upload.length || failure) {
    // Kept or not, what the vault recorded stands: HEAD gives where to resume.
    await stager.saveTail().catch((error: unknown) => {
      failure ??= error instanceof ApiError ? error : new ApiError(500, "INTERNAL", "staging failed");
    });
  }
  return failure;
}

/**
 * Lets a PATCH's work finish when the client goes away (a cut-off body's bytes are still kept, the
 * lock released), and returns it.
 *
 * @param c - The request.
 * @param work - The PATCH's work.
 */
export function keepGoing(c: Context<AppEnv>, work: Promise<Response>): Promise<Response> {
  try {
    c.executionCtx.waitUntil(work.catch(() => {}));
  } catch {
    // No execution context (called directly in tests): the await below does the same.
  }
  return work;
}
