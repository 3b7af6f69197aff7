/**
 * Formats a byte count for people: `512 B`, `3.0 MiB`, `1.2 GiB`.
 *
 * @param bytes - A count of bytes.
 * @returns The count with a binary unit.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes || 0))} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/**
 * Splits what a person typed in the tags field into tags: comma- or newline-separated, trimmed,
 * without empties or repeats, each at most 256 characters (the Worker's limit), at most 64.
 *
 * @param text - The field's value.
 * @returns The tags, in the order typed.
 */
export function parseTags(text: string): string[] {
  const tags = text
    .split(/[,\n]/)
    .map((tag) => tag.trim().slice(0, 256))
    .filter((tag) => tag !== "");
  return [...new Set(tags)].slice(0, 64);
}
