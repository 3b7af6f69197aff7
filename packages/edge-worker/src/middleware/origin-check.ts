import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * CSRF protection for state-changing requests: their `Origin` must be this Worker's origin or one
 * of `ALLOWED_ORIGINS`. A request without `Origin` is refused too (browsers always send it on
 * cross-origin and non-GET requests; other clients can set it). Needs `withConfig` before it.
 */
export function originCheck() {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!SAFE_METHODS.has(c.req.method)) {
      const origin = c.req.header("Origin");
      const self = new URL(c.req.url).origin;
      if (!origin || (origin !== self && !c.get("config").allowedOrigins.has(origin))) {
        throw new ApiError(403, "CSRF_ORIGIN", "this request's Origin is not allowed to change state here");
      }
    }
    await next();
  });
}
