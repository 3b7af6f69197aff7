import type { SealedFile } from "@digime-edge/sdk-core";
import { pipeNatively } from "@digime-edge/sdk-core/internal";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { readBodyChunks } from "../lib/body-chunks.ts";
import { contractDetails, getSdk } from "../lib/digime.ts";
import { readExact } from "../lib/exact-body.ts";
import { sanitizeFileName } from "../lib/file-name.ts";
import {
  isSealedBodyLength,
  maxSealedBodyBytes,
  parseSealedEnvelope,
  SEALED_HEADERS,
} from "../lib/sealed-envelope.ts";
import {
  admitWrite,
  bodyTiming,
  declaredLength,
  postboxOf,
  REPLAYABLE_BYTES,
  tooLarge,
  type UploadResult,
  UploadRun,
} from "../lib/upload.ts";
import { originCheck } from "../middleware/origin-check.ts";
import { requireSession } from "../middleware/session.ts";
import { declaredSizeLimit } from "../middleware/upload-size.ts";
import { requireWriteApi } from "../middleware/write-api.ts";

export { SEALED_HEADERS } from "../lib/sealed-envelope.ts";

/**
 * What `POST /api/sealed-files` returns on success: as {@link UploadResult}, with `bytes` the size of
 * the encrypted body (the Worker never learns the file's own size).
 */
export type SealedUploadResult = UploadResult;

const badBody = (message: string) => new ApiError(400, "BAD_SEALED_BODY", message);

function checkBodyLength(bytes: number): void {
  if (bytes === 0) throw badBody("the sealed body is empty");
  if (!isSealedBodyLength(bytes))
    throw badBody("the sealed body must be a whole number of 16-byte AES blocks");
}

/**
 * `POST /api/sealed-files`: a file the browser sealed itself with sdk-core's `seal`. The body is the
 * encrypted file (`Content-Type: application/octet-stream`); the envelope is in headers
 * (see {@link SEALED_HEADERS}). The Worker checks every shape and size before anything goes to
 * digi.me, signs the request JWT with the user's token and streams the body on. It never has the
 * AES key, so it cannot read the file or its descriptor.
 *
 * A body of at most 1 MiB (declared, or found so by reading ahead when unsized) is checked whole and
 * sent as bytes, which sdk-core can send again after a token refresh. A larger declared one is
 * read in chunks of a MiB and piped on by workerd (sdk-core's `pipeNatively`): its length is held
 * to its `Content-Length` (checked for size and whole blocks before reading), and its pace to the
 * limits per 256 KiB and on average and to one deadline for the whole (`bodyDeadline`). A larger
 * unsized one streams, its length counted on the way. A body found bad mid-way (too large, not
 * whole blocks, longer or shorter than declared, stalled or too slow) aborts the digi.me
 * request before its end, so nothing is delivered; a token refresh after the body was sent ends in
 * 503 `TOKEN_REFRESHED_RETRY`, upon which the client seals and sends once more.
 */
export const sealedFiles = new Hono<AppEnv>().post(
  "/sealed-files",
  originCheck(),
  requireWriteApi("postbox"),
  requireSession(),
  declaredSizeLimit(maxSealedBodyBytes),
  async (c) => {
    const config = c.get("config");
    const limit = config.maxUploadBytes;
    const maxBody = maxSealedBodyBytes(limit);

    const type = c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase();
    if (type !== "application/octet-stream") {
      throw new ApiError(
        400,
        "BAD_CONTENT_TYPE",
        "send the sealed body as application/octet-stream, the envelope in X-Digime-* headers",
      );
    }
    const envelope = parseSealedEnvelope((name) => c.req.header(name));
    if (!envelope.ok) throw new ApiError(400, envelope.code, envelope.message);
    const declared = declaredLength(c);
    if (declared !== undefined) checkBodyLength(declared);
    const body = c.req.raw.body;
    if (!body) throw badBody("the sealed body is empty");

    const grant = await admitWrite(c, envelope.wrappedKeyBytes);
    const fileName = sanitizeFileName(envelope.fileName);
    const send = (run: UploadRun, data: SealedFile["body"]) =>
      run.deliver(fileName, () =>
        getSdk(config).sendSealed({
          contractDetails: contractDetails(config),
          userAccessToken: grant.token,
          postboxId: postboxOf(grant).postboxId,
          sealed: {
            iv: envelope.iv,
            symmetricalKey: envelope.symmetricalKey,
            metadata: envelope.metadata,
            body: data,
            ...(declared === undefined ? {} : { size: declared }),
          },
          fileName,
          signal: run.upstream.signal,
          refresh: run.refresher(c),
        }),
      );
    // The upload slot is given back at every end: delivered, refused, failed, aborted or timed out.
    try {
      if (declared !== undefined && declared > REPLAYABLE_BYTES) {
        // Sized and large: read in few chunks, under the limits and one deadline, piped on by workerd.
        // Exactly the declared bytes (their size and whole blocks were checked).
        const { run, chunks: exact } = readExact(c, body, declared, badBody, "sealed body");
        const result: SealedUploadResult = await send(run, pipeNatively(run.stream(exact)));
        return c.json(result);
      }

      const reader = readBodyChunks(body, undefined, bodyTiming(c));
      const run = new UploadRun({ cancel: reader.cancel });

      // The body's chunks, counted. The last one is held back until the end is known to be whole
      // blocks, so a bad body never completes a write.
      async function* chunks(): AsyncGenerator<Uint8Array> {
        let held: Uint8Array | undefined;
        for await (const value of reader.chunks) {
          run.bytes += value.byteLength;
          if (run.bytes > maxBody) throw tooLarge(limit);
          // The declared length goes on to digi.me as the file's size: the body must match it.
          if (declared !== undefined && run.bytes > declared)
            throw badBody("the sealed body is longer than its Content-Length");
          if (held) yield held;
          held = value;
        }
        if (declared !== undefined && run.bytes !== declared)
          throw badBody("the sealed body is shorter than its Content-Length");
        checkBodyLength(run.bytes);
        if (held) yield held;
      }

      // Read ahead: a body that ends within REPLAYABLE_BYTES is checked whole before digi.me sees it.
      const source = chunks();
      const head: Uint8Array[] = [];
      let size = 0;
      let ended = false;
      try {
        while (size <= REPLAYABLE_BYTES) {
          const next = await source.next();
          if (next.done) {
            ended = true;
            break;
          }
          head.push(next.value);
          size += next.value.byteLength;
        }
      } catch (error) {
        throw await run.failed(error);
      }
      const data = ended
        ? await run.collect(head)
        : run.stream(
            (async function* () {
              yield* head;
              yield* source;
            })(),
          );
      const result: SealedUploadResult = await send(run, data);
      return c.json(result);
    } finally {
      await grant.release();
    }
  },
);
