import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { readSession } from "../lib/session.ts";

/**
 * Requires a valid session cookie, putting the user's id on the context as `userId`; 401
 * `UNAUTHENTICATED` otherwise. Needs `withConfig` before it.
 */
export function requireSession() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const userId = await readSession(c, c.get("config"));
    if (!userId) throw new ApiError(401, "UNAUTHENTICATED", "sign in first");
    c.set("userId", userId);
    await next();
  });
}
