/**
 * A digest of a file's content that is cheap to take before each resumable upload: SHA-256 over its
 * size and a few regions read from it (the first and the last MiB, and a few small windows spread
 * between them), not the whole file. It tells apart two files with the same name, size and date
 * whose bytes differ in any of those regions; bytes changed only outside them are not seen.
 */
import { encodeBase64Url } from "@digime-edge/sdk-core/internal";

/** Bytes read at each end of the file. */
export const SAMPLE_END_BYTES = 1024 * 1024;

/** Bytes read at each window between the ends. */
export const SAMPLE_WINDOW_BYTES = 64 * 1024;

/** How many windows are read between the ends, evenly spread. */
export const SAMPLE_WINDOWS = 6;

/**
 * The regions of a file of `size` bytes that {@link contentSample} reads, as `[start, end)`, in
 * order and without overlaps (a small file is read whole).
 *
 * @param size - The file's size in bytes.
 * @returns The regions read.
 */
export function sampledRegions(size: number): [number, number][] {
  const regions: [number, number][] = [[0, Math.min(size, SAMPLE_END_BYTES)]];
  for (let i = 1; i <= SAMPLE_WINDOWS; i++) {
    const start = Math.floor((size * i) / (SAMPLE_WINDOWS + 1) - SAMPLE_WINDOW_BYTES / 2);
    regions.push([Math.max(0, start), Math.min(size, Math.max(0, start) + SAMPLE_WINDOW_BYTES)]);
  }
  regions.push([Math.max(0, size - SAMPLE_END_BYTES), size]);
  const merged: [number, number][] = [];
  for (const [start, end] of regions.sort((a, b) => a[0] - b[0])) {
    const last = merged.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else if (end > start) merged.push([start, end]);
  }
  return merged;
}

/**
 * SHA-256 of `file`'s size (8 bytes, big-endian) followed by the bytes of its
 * {@link sampledRegions}, in base64url (43 characters).
 *
 * @param file - The file (any `Blob`).
 * @returns The digest.
 */
export async function contentSample(file: Blob): Promise<string> {
  const size = new Uint8Array(8);
  new DataView(size.buffer).setBigUint64(0, BigInt(file.size));
  const parts = sampledRegions(file.size).map(([start, end]) => file.slice(start, end));
  const bytes = await new Blob([size, ...parts]).arrayBuffer();
  return encodeBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}
