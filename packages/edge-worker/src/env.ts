import type { Config } from "./config.ts";

/** The Hono environment of this Worker: its bindings and what middleware put on the context. */
export interface AppEnv {
  /** The Worker's bindings (vars, secrets, the `USER_VAULT` namespace). */
  Bindings: Env;
  /** Set by middleware. */
  Variables: {
    /** The validated configuration (set by `withConfig`). */
    config: Config;
    /** The signed-in user's id (set by `requireSession`). */
    userId: string;
  };
}
