import { createPrivateKey } from "node:crypto";
import { Hono } from "hono";
import { z } from "zod";
import { discardRequestBody, requestBodyStream } from "../body.ts";
import type { AppEnv, EmulatorContext } from "../context.ts";
import {
  createFileDecipher,
  decryptMetadata,
  EnvelopeError,
  parseIv,
  unwrapSymmetricalKey,
} from "../envelope.ts";
import { ApiError, invalidRequest } from "../errors.ts";
import { injectFaults } from "../faults.ts";
import { fileDescriptorSchema } from "../file-descriptor.ts";
import { addUploadToLibrary } from "../library-files.ts";
import { baseClaims, describeIssues, requestJwt, validAccessToken } from "../middleware/request-jwt.ts";
import { FileDecryptError, MultipartError, receiveEncryptedFile } from "../multipart.ts";
import { countRequests } from "../stats.ts";

/** Claims of a write request JWT. */
export const writeClaims = baseClaims.extend({
  access_token: z.string().min(1),
  iv: z.string().min(1),
  metadata: z.string().min(1),
  symmetrical_key: z.string().min(1),
});

const ENVELOPE_CODES = {
  symmetrical_key: "InvalidSymmetricalKey",
  iv: "InvalidRequest",
  metadata: "InvalidMetadata",
} as const;

/**
 * `POST {baseUrl}permission-access/postbox/{postboxId}`: a write. After the request JWT checks:
 * 404 `PostboxNotFound`; 403 `InsufficientScope` when the postbox, the token's user or a read-only
 * contract do not fit; 401 `InvalidToken` for an unknown or revoked access token; `pending` for an
 * expired one. Then the key is unwrapped with the postbox private key, the metadata decrypted, and
 * the file decrypted as the body streams into a temporary file, moved into the user's library once
 * whole. Responds with `{ status: "delivered" | "pending", expires }` (`expires`: the access token's expiry).
 */
export const postboxRoutes = (ctx: EmulatorContext) =>
  new Hono<AppEnv>()
    .use(countRequests({ stats: ctx.stats, route: "postbox" }))
    .use(injectFaults({ faults: ctx.faults, stats: ctx.stats, route: "postbox" }))
    .post("/:postboxId", requestJwt({ ctx, schema: writeClaims }), async (c) => {
      const { store } = ctx;
      const { contract, payload } = c.var.request;
      const postbox = store.getPostbox(c.req.param("postboxId"));
      if (!postbox)
        throw new ApiError(
          404,
          "PostboxNotFound",
          `The postbox (${c.req.param("postboxId")}) does not exist`,
        );
      if (postbox.clientId !== contract.clientId || !contract.write) {
        throw new ApiError(
          403,
          "InsufficientScope",
          "The request requires higher privileges than provided by the access token",
        );
      }
      const token = validAccessToken(ctx, contract, payload.access_token);
      if (token.userId !== postbox.userId) {
        throw new ApiError(403, "InsufficientScope", "The access token is not for this postbox's library");
      }
      if (token.expiresAt <= ctx.now()) {
        await discardRequestBody(c);
        ctx.stats.current.pending++;
        return c.json({ status: "pending" as const, expires: token.expiresAt });
      }

      let key: Buffer;
      let iv: Buffer;
      let metadata: z.infer<typeof fileDescriptorSchema>;
      try {
        key = unwrapSymmetricalKey(payload.symmetrical_key, createPrivateKey(postbox.privateKey));
        iv = parseIv(payload.iv);
        const parsed = fileDescriptorSchema.safeParse(decryptMetadata(payload.metadata, key, iv));
        if (!parsed.success) {
          throw new ApiError(
            400,
            "InvalidMetadata",
            `The metadata is not a fileDescriptor: ${describeIssues(parsed.error)}`,
          );
        }
        metadata = parsed.data;
      } catch (error) {
        if (error instanceof EnvelopeError)
          throw new ApiError(400, ENVELOPE_CODES[error.part], error.message, { cause: error });
        throw error;
      }

      let received: Awaited<ReturnType<typeof receiveEncryptedFile>>;
      try {
        received = await receiveEncryptedFile({
          body: requestBodyStream(c),
          contentType: c.req.header("content-type") ?? "",
          decipher: createFileDecipher(key, iv),
          tmpDir: store.tmpDir,
        });
      } catch (error) {
        if (error instanceof FileDecryptError)
          throw new ApiError(400, "InvalidFile", error.message, { cause: error });
        if (error instanceof MultipartError) throw invalidRequest(error.message, error);
        throw error;
      }

      await addUploadToLibrary(ctx, received, metadata, () => ({
        userId: postbox.userId,
        postboxId: postbox.id,
        clientId: contract.clientId,
        source: "postbox",
        fileName: received.fileName,
      }));
      ctx.stats.current.writes++;
      ctx.stats.current.bytesWritten += received.size;
      return c.json({ status: "delivered" as const, expires: token.expiresAt });
    });
