import { httpUrlOf } from "../config.ts";

/**
 * Validates where to send the user after signing in: a path on this Worker, or a URL on one of the
 * allowed app origins. Anything else is refused, so `returnTo` cannot become an open redirect.
 *
 * @param raw - The `returnTo` query value (absent means `/`).
 * @param self - This Worker's origin.
 * @param allowed - The allowed app origins.
 * @returns The absolute URL to redirect to, or `undefined` when refused.
 */
export function resolveReturnTo(
  raw: string | undefined,
  self: string,
  allowed: ReadonlySet<string>,
): string | undefined {
  const value = raw ?? "/";
  // Control characters and backslashes are refused outright: browsers read `/\evil` as `//evil`.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  if (value.length > 2048 || /[\u0000-\u001f\u007f\\]/.test(value)) return undefined;
  if (value.startsWith("/")) {
    if (value.startsWith("//")) return undefined;
    const url = URL.parse(value, self);
    return url && url.origin === self ? url.href : undefined;
  }
  const url = httpUrlOf(value);
  if (!url) return undefined;
  return allowed.has(url.origin) || url.origin === self ? url.href : undefined;
}

/**
 * `url` with one query parameter added.
 *
 * @param url - An absolute URL.
 * @param key - Parameter name.
 * @param value - Parameter value.
 */
export function withParam(url: string, key: string, value: string): string {
  const out = new URL(url);
  out.searchParams.set(key, value);
  return out.href;
}
