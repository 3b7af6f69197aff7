/**
 * The raw form of an import upload (`POST /api/files` with `Content-Type: application/octet-stream`,
 * `DIGIME_WRITE_API=import`): the file is the whole body, its descriptor and name travel in
 * headers, so the Worker pipes the body on without parsing it. No Worker API: the typed client
 * builds its headers here too.
 */
import type { DescriptorInput } from "./descriptor.ts";
import { mediaTypeOf } from "./media-type.ts";
import { SEALED_HEADERS } from "./sealed-envelope.ts";

/** Request headers of a raw upload. Names are case-insensitive on the wire. */
export const RAW_UPLOAD_HEADERS = {
  /**
   * The file descriptor (what the multipart form's `fileDescriptor` part holds): its JSON,
   * percent-encoded UTF-8 (`encodeURIComponent`); optional.
   */
  fileDescriptor: "X-Digime-File-Descriptor",
  /** The file name, percent-encoded UTF-8 (`encodeURIComponent`), as for sealed uploads; optional. */
  fileName: SEALED_HEADERS.fileName,
} as const;

/** The `Content-Type` of a raw upload's body. */
export const RAW_UPLOAD_TYPE = "application/octet-stream";

/**
 * The headers of a raw upload of a file: its body type, its name and its descriptor, whose
 * `mimeType` defaults to the file's own type (which a raw body cannot carry: its `Content-Type` is
 * {@link RAW_UPLOAD_TYPE}), as a multipart file part's `Content-Type` does.
 *
 * @param descriptor - The descriptor the app gave, if any.
 * @param fileName - The file's name.
 * @param fileType - The file's type (`Blob.type`), if any.
 */
export function rawUploadHeaders(
  descriptor: DescriptorInput | undefined,
  fileName: string,
  fileType: string | undefined,
): Record<string, string> {
  const mimeType = descriptor?.mimeType ?? mediaTypeOf(fileType);
  const full = mimeType === undefined ? descriptor : { ...descriptor, mimeType };
  return {
    "Content-Type": RAW_UPLOAD_TYPE,
    [RAW_UPLOAD_HEADERS.fileName]: encodeURIComponent(fileName),
    ...(full ? { [RAW_UPLOAD_HEADERS.fileDescriptor]: encodeURIComponent(JSON.stringify(full)) } : {}),
  };
}
