const MAX_LENGTH = 255;

/**
 * A file name safe to hand on: only the last path segment, without control or bidirectional
 * formatting characters, trimmed, at most 255 characters, never empty, `.` or `..`.
 *
 * @param raw - The name the browser sent (may be a whole path).
 * @param fallback - Used when nothing is left (default `upload`).
 */
export function sanitizeFileName(raw: string | undefined, fallback = "upload"): string {
  const last = (raw ?? "").split(/[/\\]/).pop() ?? "";
  const clean = last
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "")
    .trim()
    .replace(/^\.+$/, "");
  const chars = Array.from(clean);
  const short = chars.length > MAX_LENGTH ? chars.slice(chars.length - MAX_LENGTH).join("") : clean;
  return short.trim() || fallback;
}
