/**
 * The raw form of `POST /api/files` (import contracts): `Content-Type: application/octet-stream`,
 * the file as the whole body of a declared `Content-Length`, its descriptor in
 * `X-Digime-File-Descriptor` and its name in `X-Digime-File-Name` (see `lib/raw-upload.ts`). Unlike
 * a multipart form, the body needs no boundary search: it is read in 1 MiB chunks, held to its
 * declared length and piped by workerd into sdk-core's `pushData` request (`pipeNatively`), so the
 * Worker's JavaScript does not grow with the file's size beyond a step per MiB.
 */
import { pipeNatively } from "@digime-edge/sdk-core/internal";
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { completeDescriptor } from "../lib/complete-descriptor.ts";
import { type DescriptorInput, MAX_DESCRIPTOR_BYTES, parseDescriptor } from "../lib/descriptor.ts";
import { readExact } from "../lib/exact-body.ts";
import { sanitizeFileName } from "../lib/file-name.ts";
import { importFile } from "../lib/import-sink.ts";
import { mediaTypeOf } from "../lib/media-type.ts";
import { RAW_UPLOAD_HEADERS, RAW_UPLOAD_TYPE } from "../lib/raw-upload.ts";
import { parseFileNameHeader } from "../lib/sealed-envelope.ts";
import { admitWrite, declaredLength, REPLAYABLE_BYTES, tooLarge, type UploadResult } from "../lib/upload.ts";

const badBody = (message: string) => new ApiError(400, "BAD_FILE_BODY", message);
const badDescriptor = (message: string) => new ApiError(400, "BAD_DESCRIPTOR", message);

/**
 * Whether a `POST /api/files` is of the raw form (its body `application/octet-stream`).
 *
 * @param c - The request context.
 */
export function isRawUpload(c: Context<AppEnv>): boolean {
  return mediaTypeOf(c.req.header("Content-Type"))?.toLowerCase() === RAW_UPLOAD_TYPE;
}

/**
 * The descriptor of a raw upload's header: percent-encoded JSON, checked as the multipart form's
 * `fileDescriptor` part is (at most {@link MAX_DESCRIPTOR_BYTES} of JSON, the same schema).
 *
 * @param raw - The header's value; absent is no descriptor.
 */
function descriptorOf(raw: string | undefined): DescriptorInput | undefined {
  if (raw === undefined) return undefined;
  // Three characters per byte at most, percent-encoded: a longer header is too large decoded too.
  if (raw.length > 3 * MAX_DESCRIPTOR_BYTES) throw badDescriptor("fileDescriptor is too large");
  let text: string;
  try {
    text = decodeURIComponent(raw);
  } catch {
    throw badDescriptor(
      `${RAW_UPLOAD_HEADERS.fileDescriptor} must be percent-encoded UTF-8 JSON (encodeURIComponent)`,
    );
  }
  if (new TextEncoder().encode(text).byteLength > MAX_DESCRIPTOR_BYTES)
    throw badDescriptor("fileDescriptor is too large");
  const parsed = parseDescriptor(text);
  if (!parsed.ok) throw badDescriptor(parsed.message);
  return parsed.value;
}

/**
 * `POST /api/files` in its raw form, after the route's `Origin`, session and size middleware.
 * Checks, before the rate budget is touched: the contract's write API (else 409
 * `IMPORT_API_REQUIRED`: a postbox contract takes the multipart form), a declared length (else 411
 * `LENGTH_REQUIRED`) within `MAX_UPLOAD_BYTES` (else 413), the descriptor (`BAD_DESCRIPTOR`) and the
 * file name (`BAD_FILE_NAME`). A body of at most 1 MiB is read whole (sdk-core sends it again
 * after a token refresh); a larger one is piped. A body longer or shorter than declared is 400
 * `BAD_FILE_BODY` and never completes the request to digi.me.
 *
 * @param c - The request context.
 */
export async function rawFileUpload(c: Context<AppEnv>): Promise<Response> {
  const config = c.get("config");
  if (config.writeApi !== "import") {
    throw new ApiError(
      409,
      "IMPORT_API_REQUIRED",
      "a raw file body (application/octet-stream) is taken with an import contract only: send multipart/form-data, or seal the file (POST /api/sealed-files)",
    );
  }
  const declared = declaredLength(c);
  if (declared === undefined)
    throw new ApiError(411, "LENGTH_REQUIRED", "send a raw file body with its Content-Length");
  const limit = config.maxUploadBytes;
  if (declared > limit) throw tooLarge(limit);
  const descriptor = descriptorOf(c.req.header(RAW_UPLOAD_HEADERS.fileDescriptor));
  const name = parseFileNameHeader(c.req.header(RAW_UPLOAD_HEADERS.fileName));
  if (!name.ok) throw new ApiError(400, name.code, name.message);
  const fileName = sanitizeFileName(name.fileName);
  // The body's type is the form's, not the file's: mimeType comes from the descriptor or defaults.
  const fileDescriptor = completeDescriptor(descriptor, undefined, c.get("userId"));
  const body = c.req.raw.body;

  const grant = await admitWrite(c);
  // The upload slot is given back at every end: delivered, refused, failed, aborted or timed out.
  try {
    // One read past the declared end finds a longer body; a small one is one read. The body's pace
    // is held as every upload's, and to one deadline for the whole (see body-chunks.ts).
    const { run, chunks: exact } = readExact(c, body, declared, badBody, "body");
    const fileData =
      declared <= REPLAYABLE_BYTES ? await run.collect(exact) : pipeNatively(run.stream(exact), declared);
    const result: UploadResult = await run.deliver(fileName, () =>
      importFile(
        { config, token: grant.token, signal: run.upstream.signal, refresh: run.refresher(c) },
        { fileData, fileName, fileDescriptor },
      ),
    );
    return c.json(result);
  } finally {
    await grant.release();
  }
}
