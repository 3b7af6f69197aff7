import { Hono } from "hono";
import type { AppEnv } from "../env";
import { readSession, vaultFor } from "../lib/session";

/** What `GET /api/session` answers. Never a token. */
export interface SessionInfo {
  /** The browser has a session and the user's vault holds a token pair. */
  authenticated: boolean;
  /** Uploads can be made: the vault also holds postbox credentials. */
  canWrite: boolean;
}

/** `GET /api/session`. */
export const session = new Hono<AppEnv>().get("/session", async (c) => {
  const userId = await readSession(c, c.get("config"));
  if (!userId) return c.json({ authenticated: false, canWrite: false } satisfies SessionInfo);
  const { authenticated, canWrite } = await vaultFor(c.env, userId).session();
  return c.json({ authenticated, canWrite } satisfies SessionInfo);
});
