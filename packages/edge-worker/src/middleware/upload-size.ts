import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import { declaredLength, tooLarge } from "../lib/upload.ts";

/**
 * Refuses an upload whose `Content-Length` is already too large (413 `PAYLOAD_TOO_LARGE`), before
 * any of its body is read. Bodies without a length are counted as they stream (by the route). Needs
 * `withConfig` before it.
 *
 * @param largestBody - The largest request body for the file limit (`MAX_UPLOAD_BYTES`), e.g. the
 *   limit plus room for multipart framing.
 */
export function declaredSizeLimit(largestBody: (maxUploadBytes: number) => number) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const limit = c.get("config").maxUploadBytes;
    const declared = declaredLength(c);
    if (declared !== undefined && declared > largestBody(limit)) throw tooLarge(limit);
    await next();
  });
}
