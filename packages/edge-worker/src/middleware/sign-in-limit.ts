import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";

/**
 * Seconds to wait after a refusal: the limiter's period (`AUTH_START_LIMITER` in wrangler.jsonc),
 * as the binding does not say when its window ends.
 */
export const SIGN_IN_RETRY_AFTER_S = 60;

/**
 * Limits how many sign-ins one client address (`CF-Connecting-IP`, set by Cloudflare; all requests
 * without it share one budget) may start, with the `AUTH_START_LIMITER` rate-limiting binding.
 * Over the limit: 429 `RATE_LIMITED` with `Retry-After`, before anything else is done, unless
 * `onLimited` responds instead (a browser's navigation goes back to its app).
 *
 * @param onLimited - Given the request and the seconds to wait: a response of its own for a refused
 *   sign-in, or `undefined` for the 429.
 */
export function signInLimit(onLimited?: (c: Context<AppEnv>, retryAfterS: number) => Response | undefined) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const limiter = c.env.AUTH_START_LIMITER;
    if (!limiter) throw new ApiError(500, "CONFIG_INVALID", "the AUTH_START_LIMITER binding is missing");
    const key = `auth-start:${c.req.header("CF-Connecting-IP") ?? "unknown"}`;
    const { success } = await limiter.limit({ key });
    if (!success) {
      const answer = onLimited?.(c, SIGN_IN_RETRY_AFTER_S);
      if (answer) return answer;
      throw new ApiError(
        429,
        "RATE_LIMITED",
        "too many sign-ins started from this address; try again later",
        {
          headers: { "Retry-After": String(SIGN_IN_RETRY_AFTER_S) },
        },
      );
    }
    await next();
  });
}
