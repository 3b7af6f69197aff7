import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { inLargeChunks } from "../lib/body-chunks.ts";
import { completeDescriptor } from "../lib/complete-descriptor.ts";
import { type DescriptorInput, MAX_DESCRIPTOR_BYTES, parseDescriptor } from "../lib/descriptor.ts";
import { contractDetails, describeDigiMeFailure, failureToError, getSdk } from "../lib/digime.ts";
import { sanitizeFileName } from "../lib/file-name.ts";
import { importFile } from "../lib/import-sink.ts";
import { getBoundary, MultipartError, MultipartReader } from "../lib/multipart.ts";
import {
  admitWrite,
  bodyTiming,
  declaredBodyReading,
  declaredLength,
  postboxOf,
  REPLAYABLE_BYTES,
  tooLarge,
  UploadRun,
} from "../lib/upload.ts";
import { originCheck } from "../middleware/origin-check.ts";
import { requireSession } from "../middleware/session.ts";
import { declaredSizeLimit } from "../middleware/upload-size.ts";
import { isRawUpload, rawFileUpload } from "./files-raw.ts";

export { REPLAYABLE_BYTES, type UploadResult } from "../lib/upload.ts";

/** Room for the multipart framing and small fields on top of `MAX_UPLOAD_BYTES`. */
export const FRAMING_ALLOWANCE = 64 * 1024;
/**
 * Most parts a form may have: it needs two (`fileDescriptor`, `file`); others are skipped, and a
 * body of thousands of tiny parts would only cost parsing.
 */
export const MAX_FORM_PARTS = 16;

function asApiError(error: unknown): ApiError {
  if (error instanceof MultipartError)
    return new ApiError(400, "BAD_MULTIPART", `malformed multipart body: ${error.message}`);
  return failureToError(describeDigiMeFailure(error, true));
}

/**
 * `POST /api/files`: `multipart/form-data` with an optional `fileDescriptor` part (JSON) and a `file`
 * part. The file streams from the request through sdk-core's envelope to digi.me (postbox write API)
 * or as it is (`pushData`, import write API); it is never held whole. For that, `fileDescriptor` must come before `file` (a descriptor after the file is refused
 * with 400 `DESCRIPTOR_AFTER_FILE`, and nothing is delivered). The upload only completes once the
 * rest of the form has been read and found acceptable. With an import contract the file may also
 * come as the raw `application/octet-stream` body, its descriptor in a header (see `files-raw.ts`).
 */
export const files = new Hono<AppEnv>().post(
  "/files",
  originCheck(),
  requireSession(),
  declaredSizeLimit((limit) => limit + FRAMING_ALLOWANCE),
  async (c) => {
    // The raw form (import contracts): the file is the body, its descriptor in a header.
    if (isRawUpload(c)) return rawFileUpload(c);
    const config = c.get("config");
    const userId = c.get("userId");
    const limit = config.maxUploadBytes;

    const boundary = getBoundary(c.req.header("Content-Type"));
    if (!boundary) throw new ApiError(400, "BAD_MULTIPART", "send multipart/form-data with a boundary");
    const body = c.req.raw.body;
    if (!body) throw new ApiError(400, "MISSING_FILE", "the form has no file part");

    const grant = await admitWrite(c);
    // The upload slot is given back at every end: delivered, refused, failed, aborted or timed out.
    try {
      // A body longer than its Content-Length is refused (HTTP framing should make it impossible, but
      // a small declared length decides that the body is read whole, so it must hold).
      const declared = declaredLength(c);
      // Every body is held to a time limit per 256 KiB and a minimum average rate; one of a declared
      // length is read in larger chunks, and within one deadline too (see body-chunks.ts).
      const source =
        declared === undefined
          ? inLargeChunks(body, undefined, bodyTiming(c))
          : inLargeChunks(body, ...declaredBodyReading(c, declared));
      const reader = new MultipartReader(source, boundary, {
        maxBytes: declared ?? limit + FRAMING_ALLOWANCE,
        maxParts: MAX_FORM_PARTS,
        tooLarge: () =>
          declared === undefined
            ? tooLarge(limit)
            : new ApiError(400, "BAD_MULTIPART", "the body is longer than its Content-Length"),
      });
      const run = new UploadRun({ toError: asApiError, cancel: (reason) => reader.cancel(reason) });

      let descriptor: DescriptorInput | undefined;
      let file: { filename: string | undefined; contentType: string | undefined } | undefined;
      try {
        for (let part = await reader.next(); part; part = await reader.next()) {
          if (part.name === "file") {
            file = part;
            break;
          }
          if (part.name === "fileDescriptor") {
            if (descriptor) throw new ApiError(400, "BAD_DESCRIPTOR", "send one fileDescriptor part");
            const text = await reader.text(MAX_DESCRIPTOR_BYTES);
            if (text === undefined) throw new ApiError(400, "BAD_DESCRIPTOR", "fileDescriptor is too large");
            const parsed = parseDescriptor(text);
            if (!parsed.ok) throw new ApiError(400, "BAD_DESCRIPTOR", parsed.message);
            descriptor = parsed.value;
          }
          // Any other field is skipped by `reader.next()`.
        }
      } catch (error) {
        throw await run.failed(error);
      }
      if (!file) throw new ApiError(400, "MISSING_FILE", "the form has no file part");

      const fileName = sanitizeFileName(file.filename);
      const fileDescriptor = completeDescriptor(descriptor, file.contentType, userId);
      // The file's chunks, counted; at its end the rest of the form is read and checked before the
      // last chunk is handed on, so a bad form never completes an upload.
      async function* fileChunks(): AsyncGenerator<Uint8Array> {
        for await (const chunk of reader.body()) {
          run.bytes += chunk.byteLength;
          if (run.bytes > limit) throw tooLarge(limit);
          yield chunk;
        }
        for (let part = await reader.next(); part; part = await reader.next()) {
          if (part.name === "fileDescriptor") {
            throw new ApiError(
              400,
              "DESCRIPTOR_AFTER_FILE",
              "send the fileDescriptor part before the file part",
            );
          }
          if (part.name === "file") throw new ApiError(400, "BAD_MULTIPART", "send one file part");
        }
      }

      const data =
        declared !== undefined && declared <= REPLAYABLE_BYTES
          ? await run.collect(fileChunks())
          : run.stream(fileChunks());

      const upload = { fileData: data, fileName, fileDescriptor };
      const signal = run.upstream.signal;
      // The sink, by the contract's write API: imported as it is, or sealed for the postbox.
      const result = await run.deliver(fileName, () =>
        config.writeApi === "import"
          ? importFile({ config, token: grant.token, signal, refresh: run.refresher(c) }, upload)
          : getSdk(config).write({
              contractDetails: contractDetails(config),
              userAccessToken: grant.token,
              ...postboxOf(grant),
              data: upload,
              signal,
              refresh: run.refresher(c),
            }),
      );
      return c.json(result);
    } finally {
      await grant.release();
    }
  },
);
