/**
 * Resumable uploads: tus 1.0.0 (core, creation, creation-with-upload, termination, expiration)
 * under `/api/uploads`, for signed-in users, with the CSRF, CORS, session, rate and security rules
 * of the other routes. Bytes are staged in R2 (`TUS_STAGING`, `lib/tus/staging.ts`), never in the
 * clear; the upload's state lives in the user's vault (`lib/tus/upload-state.ts`); the last byte
 * starts the delivery, whose answer is the final PATCH's (`lib/tus/deliver.ts`). The creation's
 * metadata is read in `uploads-metadata.ts`, a PATCH in `uploads-patch.ts`.
 */
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { getConfig } from "../config.ts";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { failureToError } from "../lib/digime.ts";
import { vaultFor } from "../lib/session.ts";
import { TUS_CHECKSUM_ALGORITHMS } from "../lib/tus/checksum.ts";
import {
  requireTusResumable,
  TUS_EXTENSIONS,
  TUS_VERSION,
  UPLOAD_STATE_HEADER,
  wholeNumberOf,
} from "../lib/tus/protocol.ts";
import { declaredLength } from "../lib/upload.ts";
import { originCheck } from "../middleware/origin-check.ts";
import { requireSession } from "../middleware/session.ts";
import { describeUpload } from "./uploads-metadata.ts";
import {
  checkDeclaredChunk,
  keepGoing,
  patchUpload,
  progressHeaders,
  requireOffsetOctetStream,
  uploadPath,
} from "./uploads-patch.ts";

export { SEALED_METADATA_KEYS } from "./uploads-metadata.ts";
export { uploadPath } from "./uploads-patch.ts";

/** Most resumable uploads one user may have in progress at once. */
export const MAX_OPEN_UPLOADS = 16;

/**
 * tus discovery (`OPTIONS /api/uploads`, `OPTIONS /api/uploads/{id}`): the CORS answer (a
 * preflight) with `Tus-Version`, `Tus-Extension`, `Tus-Max-Size` and `Tus-Checksum-Algorithm`. Goes before the CORS
 * middleware, which responds to every `OPTIONS` itself.
 */
export function tusDiscovery() {
  return createMiddleware<AppEnv>(async (c, next) => {
    await next();
    if (c.req.method !== "OPTIONS") return;
    const h = c.res.headers;
    h.set("Tus-Resumable", TUS_VERSION);
    h.set("Tus-Version", TUS_VERSION);
    h.set("Tus-Extension", TUS_EXTENSIONS);
    h.set("Tus-Checksum-Algorithm", TUS_CHECKSUM_ALGORITHMS);
    try {
      h.set("Tus-Max-Size", String(getConfig(c.env).tusMaxUploadBytes));
    } catch {
      // A broken configuration: the other routes respond with 500 CONFIG_INVALID.
    }
  });
}

/** `Tus-Resumable` on every answer of the upload routes, errors included. */
const tusResumable = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  c.res.headers.set("Tus-Resumable", TUS_VERSION);
});

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
    if (hasBody) {
      // A creation whose body is refused gives no `Location`: its upload is dropped, not left
      // half-made (counted, staged) where no client can reach it.
      const work = patchUpload(c, created.id, 0, true).catch(async (error: unknown) => {
        await vault.abandonUpload(created.id).catch(() => {});
        throw error;
      });
      return keepGoing(c, work);
    }
    return new Response(null, {
      status: 201,
      headers: { Location: uploadPath(created.id), ...progressHeaders(created, 0) },
    });
  })
  // Hono serves HEAD with the GET route (without its body): GET tells the same.
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
