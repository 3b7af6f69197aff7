import { createMiddleware } from "hono/factory";
import { ConfigError, getConfig } from "../config";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";

/**
 * Validates the configuration on first use and puts it on the context as `config`. A missing or
 * malformed setting answers 500 `CONFIG_INVALID` naming the setting, never its value.
 */
export function withConfig() {
  return createMiddleware<AppEnv>(async (c, next) => {
    try {
      c.set("config", getConfig(c.env));
    } catch (error) {
      if (error instanceof ConfigError) throw new ApiError(500, "CONFIG_INVALID", error.message);
      throw error;
    }
    await next();
  });
}
