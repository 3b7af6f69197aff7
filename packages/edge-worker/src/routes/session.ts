import { Hono } from "hono";
import type { WriteApi } from "../config.ts";
import type { AppEnv } from "../env.ts";
import { readSession, vaultFor } from "../lib/session.ts";

export type { WriteApi } from "../config.ts";

/** What `GET /api/session` returns. Never a token. */
export interface SessionInfo {
  /** The browser has a session and the user's vault holds a token pair. */
  authenticated: boolean;
  /**
   * Uploads can be made: the vault also holds what the write API needs (postbox credentials, or
   * an import contract's account reference).
   */
  canWrite: boolean;
  /**
   * The write API of the Worker's contract (`DIGIME_WRITE_API`), signed in or not: `postbox`
   * (files sealed for the user's postbox: by the Worker, or on the device with `uploadSealed`) or
   * `import` (digi.me receives the file as it is over TLS: no device sealing; FHIR pushes).
   */
  writeApi: WriteApi;
  /**
   * Whether files can be sealed on the device (`POST /api/sealed-files`): a postbox contract's
   * session with its public key. Always false on the import API.
   */
  canSeal: boolean;
  /**
   * The postbox's RSA public key (PEM), when signed in with a postbox write contract: public
   * information, with which the browser seals files itself (`uploadSealed`).
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
  const { writeApi } = c.get("config");
  const signedOut = { authenticated: false, canWrite: false, writeApi, canSeal: false } as const;
  const userId = await readSession(c, c.get("config"));
  if (!userId) return c.json(signedOut satisfies SessionInfo);
  const { authenticated, canWrite, publicKey } = await vaultFor(c.env, userId).session();
  if (!authenticated) return c.json(signedOut satisfies SessionInfo);
  const sealing = writeApi === "postbox" && publicKey !== undefined;
  return c.json({
    authenticated,
    canWrite,
    writeApi,
    canSeal: sealing && canWrite,
    accountId: userId,
    ...(sealing ? { publicKey } : {}),
  } satisfies SessionInfo);
});
