/**
 * Resumable uploads: tus 1.0.0 (core, creation, creation-with-upload, termination, expiration)
 * under `/api/uploads`, for signed-in users, with the CSRF, CORS, session, rate and security rules
 * of the other routes. Bytes are staged in R2 (`TUS_STAGING`, `lib/tus/staging.ts`), never in the
 * clear; the upload's state lives in the user's vault (`lib/tus/upload-state.ts`); the last byte
 * starts the delivery, whose answer is the final PATCH's (`lib/tus/deliver.ts`).
 */
import { type Context, Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { getConfig } from "../config";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { readBodyChunks } from "../lib/body-chunks";
import { parseDescriptor } from "../lib/descriptor";
import { failureToError } from "../lib/digime";
import { sanitizeFileName } from "../lib/file-name";
import {
  isSealedBodyLength,
  maxSealedBodyBytes,
  parseSealedEnvelope,
  SEALED_HEADERS,
} from "../lib/sealed-envelope";
import { vaultFor } from "../lib/session";
import { deliverUpload, type UploadInfo } from "../lib/tus/deliver";
import { parseUploadMetadata } from "../lib/tus/metadata";
import {
  httpDate,
  OFFSET_OCTET_STREAM,
  requireTusResumable,
  TUS_EXTENSIONS,
  TUS_VERSION,
  UPLOAD_STATE_HEADER,
  wholeNumberOf,
} from "../lib/tus/protocol";
import { PatchStager } from "../lib/tus/staging";
import { importStagingKey } from "../lib/tus/staging-cipher";
import type { StagedUpload, UploadMode } from "../lib/tus/upload-state";
import { bodyTiming, declaredLength, tooLarge } from "../lib/upload";
import { LEASE_RENEW_MS } from "../lib/upload-leases";
import { originCheck } from "../middleware/origin-check";
import { requireSession } from "../middleware/session";
import { requireWriteApi } from "../middleware/write-api";

/** Most resumable uploads one user may have in progress at once. */
export const MAX_OPEN_UPLOADS = 16;

/** The path of an upload's URL (`Location`). */
export const uploadPath = (id: string) => `/api/uploads/${id}`;

/** Upload-Metadata keys of a sealed upload's envelope (the `X-Digime-*` headers of `/api/sealed-files`). */
export const SEALED_METADATA_KEYS = {
  iv: "iv",
  symmetricalKey: "symmetricalKey",
  metadata: "metadata",
} as const;

/**
 * tus discovery (`OPTIONS /api/uploads`, `OPTIONS /api/uploads/{id}`): the CORS answer (a
 * preflight) with `Tus-Version`, `Tus-Extension` and `Tus-Max-Size`. Goes before the CORS
 * middleware, which answers every `OPTIONS` itself.
 */
export function tusDiscovery() {
  return createMiddleware<AppEnv>(async (c, next) => {
    await next();
    if (c.req.method !== "OPTIONS") return;
    const h = c.res.headers;
    h.set("Tus-Resumable", TUS_VERSION);
    h.set("Tus-Version", TUS_VERSION);
    h.set("Tus-Extension", TUS_EXTENSIONS);
    try {
      h.set("Tus-Max-Size", String(getConfig(c.env).tusMaxUploadBytes));
    } catch {
      // A broken configuration: the other routes answer 500 CONFIG_INVALID.
    }
  });
}

/** `Tus-Resumable` on every answer of the upload routes, errors included. */
const tusResumable = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  c.res.headers.set("Tus-Resumable", TUS_VERSION);
});

const badMetadata = (message: string) => new ApiError(400, "BAD_UPLOAD_METADATA", message);

/** The upload's mode and what the delivery needs, from `Upload-Length` and `Upload-Metadata`. */
async function describeUpload(
  c: Context<AppEnv>,
  length: number,
): Promise<{ mode: UploadMode; info: UploadInfo; wrappedKeyBytes?: number }> {
  const config = c.get("config");
  const parsed = parseUploadMetadata(c.req.header("Upload-Metadata"));
  if (!parsed.ok) throw badMetadata(parsed.message);
  const values = parsed.values;
  const rawName = values.get("filename");
  if (!rawName) throw badMetadata("send the file's name as Upload-Metadata `filename`");
  const fileName = sanitizeFileName(rawName);
  if (Object.values(SEALED_METADATA_KEYS).some((key) => values.has(key))) {
    await requireWriteApi("postbox")(c, async () => {});
    const byHeader: Record<string, string | undefined> = {
      [SEALED_HEADERS.iv]: values.get(SEALED_METADATA_KEYS.iv),
      [SEALED_HEADERS.symmetricalKey]: values.get(SEALED_METADATA_KEYS.symmetricalKey),
      [SEALED_HEADERS.metadata]: values.get(SEALED_METADATA_KEYS.metadata),
    };
    const envelope = parseSealedEnvelope((name) => byHeader[name]);
    if (!envelope.ok) throw new ApiError(400, envelope.code, envelope.message);
    if (length > maxSealedBodyBytes(config.tusMaxUploadBytes)) throw tooLarge(config.tusMaxUploadBytes);
    if (!isSealedBodyLength(length))
      throw new ApiError(400, "BAD_SEALED_BODY", "a sealed upload is a whole number of 16-byte AES blocks");
    const { iv, symmetricalKey, metadata, wrappedKeyBytes } = envelope;
    return {
      mode: "sealed",
      info: { fileName, envelope: { iv, symmetricalKey, metadata, wrappedKeyBytes } },
      wrappedKeyBytes,
    };
  }
  if (length > config.tusMaxUploadBytes) throw tooLarge(config.tusMaxUploadBytes);
  const rawDescriptor = values.get("fileDescriptor");
  let descriptor: UploadInfo["descriptor"];
  if (rawDescriptor !== undefined) {
    const checked = parseDescriptor(rawDescriptor);
    if (!checked.ok) throw new ApiError(400, "BAD_DESCRIPTOR", checked.message);
    descriptor = checked.value;
  }
  const fileType = values.get("filetype");
  return {
    mode: config.writeApi === "import" ? "import" : "plain",
    info: { fileName, ...(fileType ? { fileType } : {}), ...(descriptor ? { descriptor } : {}) },
  };
}

/** 415 unless the body is `application/offset+octet-stream`. */
function requireOffsetOctetStream(c: Context<AppEnv>): void {
  const type = c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== OFFSET_OCTET_STREAM)
    throw new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", `send the bytes as ${OFFSET_OCTET_STREAM}`);
}

/** 413 when a PATCH declares more than `TUS_CHUNK_MAX_BYTES`. */
function checkDeclaredChunk(c: Context<AppEnv>): void {
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

/** An answer with the upload's offset and expiry. */
function progressHeaders(upload: Pick<StagedUpload, "expiresAt">, offset: number): Record<string, string> {
  return { "Upload-Offset": String(offset), "Upload-Expires": httpDate(upload.expiresAt) };
}

/**
 * Takes one PATCH's body (or a creation's) at `offset`: stages it, and when it brings the last byte,
 * delivers the upload and answers the delivery's result. What came before a cut-off body is kept.
 */
async function patchUpload(
  c: Context<AppEnv>,
  id: string,
  offset: number,
  created: boolean,
): Promise<Response> {
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
  try {
    const key = upload.stagingKey ? await importStagingKey(upload.stagingKey) : undefined;
    if (upload.state === "receiving") {
      const stager = new PatchStager(c.env.TUS_STAGING, upload, key, {
        record: async (staged) => {
          const recorded = await vault.recordUpload(id, lockId, staged);
          if (!recorded.ok) throw failureToError(recorded);
          return recorded;
        },
      });
      const failure = await stageBody(c, upload, stager);
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
    if (outcome.state !== "complete") await c.env.TUS_STAGING.delete(upload.r2Key);
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
    await vault.unlockUpload(id, lockId).catch(() => {});
  }
}

/**
 * Reads the request body into the stager, within `TUS_CHUNK_MAX_BYTES` and the upload's length and
 * at the pipeline's minimum pace, and keeps what came short of a part as the tail, also when the
 * body was cut off or refused. Answers why the body was refused, if it was.
 */
async function stageBody(
  c: Context<AppEnv>,
  upload: StagedUpload,
  stager: PatchStager,
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
  if (stager.offset < upload.length || failure) await stager.saveTail();
  return failure;
}

/**
 * `POST /api/uploads` (creation, creation-with-upload), `HEAD` (and `GET`), `PATCH` and `DELETE` (termination)
 * of `/api/uploads/{id}`. See the README's "Resumable uploads".
 */
export const uploads = new Hono<AppEnv>()
  .use("/uploads", tusResumable)
  .use("/uploads/*", tusResumable)
  .post("/uploads", originCheck(), requireSession(), async (c) => {
    requireTusResumable(c);
    const config = c.get("config");
    if (c.req.header("Upload-Defer-Length") !== undefined)
      throw new ApiError(400, "BAD_UPLOAD_LENGTH", "send Upload-Length: deferred lengths are not supported");
    const length = wholeNumberOf(c.req.header("Upload-Length"));
    if (length === undefined || length === 0)
      throw new ApiError(
        400,
        "BAD_UPLOAD_LENGTH",
        "send Upload-Length, the file's size in bytes (at least 1)",
      );
    const hasBody = (declaredLength(c) ?? (c.req.raw.body ? 1 : 0)) > 0;
    if (hasBody) {
      requireOffsetOctetStream(c);
      checkDeclaredChunk(c);
    }
    const { mode, info, wrappedKeyBytes } = await describeUpload(c, length);
    const vault = vaultFor(c.env, c.get("userId"));
    const created = await vault.createUpload({
      mode,
      length,
      metadata: JSON.stringify(info),
      ttlMs: config.tusUploadTtlMs,
      maxOpen: MAX_OPEN_UPLOADS,
      ratePerMinute: config.rateLimitPerMinute,
      ...(wrappedKeyBytes === undefined ? {} : { wrappedKeyBytes }),
    });
    if (!created.ok) throw failureToError(created);
    if (hasBody) return keepGoing(c, patchUpload(c, created.id, 0, true));
    return new Response(null, {
      status: 201,
      headers: { Location: uploadPath(created.id), ...progressHeaders(created, 0) },
    });
  })
  // Hono answers HEAD with the GET route (without its body): GET tells the same.
  .get("/uploads/:id", requireSession(), async (c) => {
    requireTusResumable(c);
    const found = await vaultFor(c.env, c.get("userId")).upload(c.req.param("id"));
    if (!found.ok) throw failureToError(found);
    const { upload } = found;
    return new Response(null, {
      status: 200,
      headers: {
        ...progressHeaders(upload, upload.state === "receiving" ? upload.offset : upload.length),
        "Upload-Length": String(upload.length),
        "Cache-Control": "no-store",
        [UPLOAD_STATE_HEADER]: upload.state,
      },
    });
  })
  .patch("/uploads/:id", originCheck(), requireSession(), async (c) => {
    requireTusResumable(c);
    requireOffsetOctetStream(c);
    const offset = wholeNumberOf(c.req.header("Upload-Offset"));
    if (offset === undefined)
      throw new ApiError(400, "BAD_UPLOAD_OFFSET", "send Upload-Offset, a whole number");
    checkDeclaredChunk(c);
    return keepGoing(c, patchUpload(c, c.req.param("id"), offset, false));
  })
  .delete("/uploads/:id", originCheck(), requireSession(), async (c) => {
    requireTusResumable(c);
    const ended = await vaultFor(c.env, c.get("userId")).terminateUpload(c.req.param("id"));
    if (!ended.ok) throw failureToError(ended);
    return new Response(null, { status: 204 });
  });

/**
 * Lets a PATCH's work finish when the client goes away (a cut-off body's bytes are still kept, the
 * lock released), and answers it.
 */
function keepGoing(c: Context<AppEnv>, work: Promise<Response>): Promise<Response> {
  try {
    c.executionCtx.waitUntil(work.catch(() => {}));
  } catch {
    // No execution context (called directly in tests): the await below does the same.
  }
  return work;
}
