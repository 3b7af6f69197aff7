/**
 * A resumable upload's creation metadata (`Upload-Metadata`): the file's name, and either a sealed
 * upload's envelope or a plain (import) upload's type and descriptor.
 */
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { parseDescriptor } from "../lib/descriptor.ts";
import { sanitizeFileName } from "../lib/file-name.ts";
import {
  isSealedBodyLength,
  maxSealedBodyBytes,
  parseSealedEnvelope,
  SEALED_HEADERS,
} from "../lib/sealed-envelope.ts";
import type { UploadInfo } from "../lib/tus/deliver.ts";
import { parseUploadMetadata } from "../lib/tus/metadata.ts";
import type { UploadMode } from "../lib/tus/upload-types.ts";
import { tooLarge } from "../lib/upload.ts";
import { requireWriteApi } from "../middleware/write-api.ts";

/** Upload-Metadata keys of a sealed upload's envelope (the `X-Digime-*` headers of `/api/sealed-files`). */
export const SEALED_METADATA_KEYS = {
  iv: "iv",
  symmetricalKey: "symmetricalKey",
  metadata: "metadata",
} as const;

const badMetadata = (message: string) => new ApiError(400, "BAD_UPLOAD_METADATA", message);

/**
 * The upload's mode and what the delivery needs, from `Upload-Length` and `Upload-Metadata`.
 *
 * @param c - The creation's request.
 * @param length - Its `Upload-Length`.
 */
export async function describeUpload(
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
