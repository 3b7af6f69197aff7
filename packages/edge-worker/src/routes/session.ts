import { Hono } from "hono";
import type { AppEnv } from "../env";
import { readSession, vaultFor } from "../lib/session";

/** What `GET /api/session` answers. Never a token. */
export interface SessionInfo {
  /** The browser has a session and the user's vault holds a token pair. */
  authenticated: boolean;
  /** Uploads can be made: the vault also holds postbox credentials. */
  canWrite: boolean;
  /**
   * The postbox's RSA public key (PEM), when signed in with a write contract: public information,
   * with which the browser seals files itself (`uploadSealed`).
   */
  publicKey?: string;
  /**
   * The account id uploads are filed under by default (the user's opaque id in this Worker), when
   * signed in. A sealed upload's descriptor is encrypted in the browser, so the browser fills it in.
   */
  accountId?: string;
}

/** `GET /api/session`. */
export const session = new Hono<AppEnv>().get("/session", async (c) => {
  const userId = await readSession(c, c.get("config"));
  if (!userId) return c.json({ authenticated: false, canWrite: false } satisfies SessionInfo);
  const { authenticated, canWrite, publicKey } = await vaultFor(c.env, userId).session();
  if (!authenticated) return c.json({ authenticated, canWrite } satisfies SessionInfo);
  return c.json({
    authenticated,
    canWrite,
    accountId: userId,
    ...(publicKey ? { publicKey } : {}),
  } satisfies SessionInfo);
});
