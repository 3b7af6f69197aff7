/**
 * `Upload-Metadata` of tus 1.0.0: comma-separated pairs of a key (ASCII, no space or comma, unique)
 * and, after one space, its value in base64 (the value may be absent). Pure functions, no Worker API.
 */

import { decodeBase64, encodeBase64 } from "@digime-edge/sdk-core/internal";

/** Longest `Upload-Metadata` header accepted, in characters (an envelope and a descriptor fit). */
export const MAX_UPLOAD_METADATA_CHARS = 16 * 1024;

const KEY = /^[!-+\--~]+$/; // printable ASCII but space and comma

/** A parsed `Upload-Metadata`, or why it was refused (never echoing a value). */
export type UploadMetadata = { ok: true; values: Map<string, string> } | { ok: false; message: string };

/**
 * Parses `Upload-Metadata`: every value is decoded from base64 as UTF-8 (a key without a value maps
 * to `""`). Refused: a key of other characters, a key twice, a value that is not standard padded
 * base64 or not UTF-8, a header over {@link MAX_UPLOAD_METADATA_CHARS}.
 *
 * @param header - The header's value (absent: no metadata).
 */
export function parseUploadMetadata(header: string | undefined): UploadMetadata {
  const values = new Map<string, string>();
  if (header === undefined || header.trim() === "") return { ok: true, values };
  if (header.length > MAX_UPLOAD_METADATA_CHARS)
    return { ok: false, message: `Upload-Metadata is longer than ${MAX_UPLOAD_METADATA_CHARS} characters` };
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  for (const pair of header.split(",")) {
    const [key = "", value, ...rest] = pair.trim().split(" ");
    if (!KEY.test(key) || rest.length > 0)
      return { ok: false, message: "Upload-Metadata must be comma-separated `key base64value` pairs" };
    if (values.has(key)) return { ok: false, message: `Upload-Metadata names ${key} twice` };
    if (value === undefined || value === "") {
      values.set(key, "");
      continue;
    }
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = decodeBase64(value);
    } catch {
      return { ok: false, message: `the Upload-Metadata value of ${key} must be standard padded base64` };
    }
    try {
      values.set(key, decoder.decode(bytes));
    } catch {
      return { ok: false, message: `the Upload-Metadata value of ${key} must be UTF-8` };
    }
  }
  return { ok: true, values };
}

/**
 * `values` as an `Upload-Metadata` header (UTF-8, standard base64): the client's side of
 * {@link parseUploadMetadata}.
 *
 * @param values - Keys and values.
 */
export function formatUploadMetadata(values: Record<string, string>): string {
  const encoder = new TextEncoder();
  return Object.entries(values)
    .map(([key, value]) => (value === "" ? key : `${key} ${encodeBase64(encoder.encode(value))}`))
    .join(",");
}
