import { importContractPrivateKey } from "@digime-edge/sdk-core";
import { createMiddleware } from "hono/factory";
import { type Config, ConfigError, getConfig, PRIVATE_KEY_EXPECTED } from "../config.ts";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";

/** Whether each configuration's private key imports, found once per configuration. */
const keyChecks = new WeakMap<Config, Promise<boolean>>();

/**
 * Whether `config.privateKey` is an RSA private key sdk-core can sign with (its
 * `importContractPrivateKey`, the one check of the key's PEM and DER): a bad one would otherwise
 * fail only when a digi.me call is signed (and look like a digi.me failure).
 */
function privateKeyImports(config: Config): Promise<boolean> {
  let check = keyChecks.get(config);
  if (!check) {
    check = importContractPrivateKey(config.privateKey).then(
      () => true,
      () => false,
    );
    keyChecks.set(config, check);
  }
  return check;
}

/**
 * Validates the configuration on first use and puts it on the context as `config`. A missing or
 * malformed setting (including a `DIGIME_PRIVATE_KEY` that does not import as an RSA private key)
 * responds with 500 `CONFIG_INVALID` naming the setting, never its value.
 */
export function withConfig() {
  return createMiddleware<AppEnv>(async (c, next) => {
    let config: Config;
    try {
      config = getConfig(c.env);
    } catch (error) {
      if (error instanceof ConfigError) throw new ApiError(500, "CONFIG_INVALID", error.message);
      throw error;
    }
    if (!(await privateKeyImports(config))) {
      const error = new ConfigError([{ setting: "DIGIME_PRIVATE_KEY", expected: PRIVATE_KEY_EXPECTED }]);
      throw new ApiError(500, "CONFIG_INVALID", error.message);
    }
    c.set("config", config);
    await next();
  });
}
