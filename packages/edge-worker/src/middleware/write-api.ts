import { createMiddleware } from "hono/factory";
import type { WriteApi } from "../config.ts";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";

const REFUSALS = {
  // Sealing needs a postbox key: the import API takes the file as it is, over TLS.
  postbox: new ApiError(
    409,
    "SEALING_UNAVAILABLE",
    "this Worker's contract uses digi.me's import API, which takes files as they are over TLS: there is no postbox key to seal for; upload with POST /api/files",
  ),
  import: new ApiError(
    409,
    "IMPORT_API_REQUIRED",
    "this route needs a contract of digi.me's import API (DIGIME_WRITE_API=import)",
  ),
} as const;

/**
 * Lets a route run only with the write API it belongs to (`DIGIME_WRITE_API`); else 409
 * `SEALING_UNAVAILABLE` (sealed uploads on the import API) or `IMPORT_API_REQUIRED` (FHIR pushes on
 * the postbox API), before the session, the body or the rate budget is touched. Needs `withConfig`
 * before it.
 *
 * @param api - The write API the route needs.
 */
export function requireWriteApi(api: WriteApi) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.get("config").writeApi !== api) {
      const refusal = REFUSALS[api];
      throw new ApiError(refusal.status, refusal.code, refusal.message);
    }
    await next();
  });
}
