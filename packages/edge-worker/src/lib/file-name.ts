const MAX_LENGTH = 255;

/**
 * Control characters (C0, DEL, C1), invisible ones (zero-width space, non-joiner and joiner, the
 * byte order mark, line and paragraph separators) and bidirectional formatting (the Arabic letter
 * mark U+061C, the marks U+200E/U+200F, embeddings and overrides U+202A-U+202E, isolates
 * U+2066-U+2069): each can hide or reorder what a name shows (`invoice\u202Etxt.exe`).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

/**
 * A file name safe to hand on: only the last path segment, without control, invisible or
 * bidirectional formatting characters, trimmed, at most 255 characters, never empty, `.` or `..`.
 *
 * @param raw - The name the browser sent (may be a whole path).
 * @param fallback - Used when nothing is left (default `upload`).
 */
export function sanitizeFileName(raw: string | undefined, fallback = "upload"): string {
  const last = (raw ?? "").split(/[/\\]/).pop() ?? "";
  const clean = last.replace(HIDDEN, "").trim().replace(/^\.+$/, "");
  const chars = Array.from(clean);
  const short = chars.length > MAX_LENGTH ? chars.slice(chars.length - MAX_LENGTH).join("") : clean;
  return short.trim() || fallback;
}
