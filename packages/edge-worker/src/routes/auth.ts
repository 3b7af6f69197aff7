import { type Context, Hono } from "hono";
import type { Config } from "../config";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { contractDetails, describeDigiMeFailure, failureToError, getSdk } from "../lib/digime";
import { LOGOUT_RESULT } from "../lib/logout";
import { resolveReturnTo, withParam } from "../lib/return-to";
import {
  clearAuthCookie,
  clearSession,
  isUserId,
  readAuthCookie,
  readSession,
  SESSION_MAX_AGE_S,
  vaultFor,
  writeAuthCookie,
  writeSession,
} from "../lib/session";
import { randomId } from "../lib/signing";
import { originCheck } from "../middleware/origin-check";

/** Query parameter that carries an authorization failure's code to the app. */
export const ERROR_PARAM = "digimeError";

const PUBLIC_KEY_PEM =
  /^-----BEGIN (RSA )?PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END (RSA )?PUBLIC KEY-----\s*$/;
const POSTBOX_ID = /^[^\s/\\?#%]{1,256}$/;
const ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/** The app's `returnTo` with `?digimeError=<code>`: how a sign-in that did not complete ends. */
function backToApp(c: Context<AppEnv>, returnTo: string, code: string): Response {
  return c.redirect(withParam(returnTo, ERROR_PARAM, code), 302);
}

/** digi.me's `errorCode`, when it has the shape of one, else `AUTHORIZATION_FAILED`. */
function digimeErrorCode(raw: string | undefined): string {
  return raw && ERROR_CODE.test(raw) ? raw : "AUTHORIZATION_FAILED";
}

/** Code in `returnTo?digimeError=` for a sign-in finished after its window (`AUTH_TTL_MS`). */
export const SIGN_IN_EXPIRED = "SIGN_IN_EXPIRED";

/**
 * The pending authorization that `state` names, taken once; refused when forged or replayed. One
 * that expired answers only its `returnTo`, with `late: true`.
 */
async function takePending(c: Context<AppEnv>, config: Config, requireState: boolean) {
  const state = c.req.query("state");
  const bound = await readAuthCookie(c, config);
  clearAuthCookie(c);
  // The state must be the one this browser started (login CSRF) ...
  if (!bound || (requireState && state === undefined) || (state !== undefined && state !== bound)) {
    throw new ApiError(400, "BAD_STATE", "this sign-in was not started in this browser, or has expired");
  }
  const [userId, nonce] = bound.split(".");
  if (!userId || !nonce || !isUserId(userId))
    throw new ApiError(400, "BAD_STATE", "the sign-in state is malformed");
  // ... and it can be used once, before it expires.
  const pending = await vaultFor(c.env, userId).consumeAuthorization(nonce);
  if (!pending) throw new ApiError(400, "BAD_STATE", "this sign-in was already used or has expired");
  if ("expired" in pending) return { late: true as const, returnTo: pending.returnTo };
  return { late: false as const, userId, ...pending };
}

/**
 * `/auth/*`: start an authorization, receive digi.me's answer (success or failure), sign out.
 */
export const auth = new Hono<AppEnv>()
  .get("/start", async (c) => {
    const config = c.get("config");
    const self = new URL(c.req.url).origin;
    const returnTo = resolveReturnTo(c.req.query("returnTo"), self, config.allowedOrigins);
    if (!returnTo) {
      throw new ApiError(
        400,
        "BAD_RETURN_TO",
        "returnTo must be a path here or a URL on an allowed app origin",
      );
    }
    const userId = (await readSession(c, config)) ?? randomId(18);
    const nonce = randomId(24);
    const state = `${userId}.${nonce}`;
    let started: { url: string; codeVerifier: string };
    try {
      started = await getSdk(config).getAuthorizeUrl({
        contractDetails: contractDetails(config),
        callback: `${self}/auth/error`,
        state,
      });
    } catch (error) {
      throw failureToError(describeDigiMeFailure(error));
    }
    await vaultFor(c.env, userId).beginAuthorization({ nonce, codeVerifier: started.codeVerifier, returnTo });
    await writeAuthCookie(c, config, state);
    return c.redirect(started.url, 302);
  })
  .get("/callback", async (c) => {
    const config = c.get("config");
    const pending = await takePending(c, config, true);
    if (pending.late) return backToApp(c, pending.returnTo, SIGN_IN_EXPIRED);
    const q = c.req.query();
    if (q.success !== "true") {
      return backToApp(c, pending.returnTo, digimeErrorCode(q.errorCode));
    }
    const postboxId = q.postboxId && POSTBOX_ID.test(q.postboxId) ? q.postboxId : undefined;
    const publicKey = q.publicKey && PUBLIC_KEY_PEM.test(q.publicKey) ? q.publicKey : undefined;
    if (!q.code || q.code.length > 4096 || (q.postboxId && !postboxId) || (q.publicKey && !publicKey)) {
      return backToApp(c, pending.returnTo, "BAD_CALLBACK");
    }
    // The code is exchanged in the vault: the tokens never pass through this isolate.
    const exchanged = await vaultFor(c.env, pending.userId).completeAuthorization({
      code: q.code,
      codeVerifier: pending.codeVerifier,
      postboxId,
      publicKey,
    });
    if (!exchanged.ok) return backToApp(c, pending.returnTo, exchanged.code);
    const untilRefreshExpires = Math.floor((exchanged.refreshExpiry - Date.now()) / 1000);
    await writeSession(
      c,
      config,
      pending.userId,
      Math.max(60, Math.min(SESSION_MAX_AGE_S, untilRefreshExpires)),
    );
    return c.redirect(pending.returnTo, 302);
  })
  .get("/error", async (c) => {
    // digi.me calls this without `state`: the browser's cookie names the pending authorization.
    const pending = await takePending(c, c.get("config"), false);
    if (pending.late) return backToApp(c, pending.returnTo, SIGN_IN_EXPIRED);
    return backToApp(c, pending.returnTo, digimeErrorCode(c.req.query("errorCode")));
  })
  .post("/logout", originCheck(), async (c) => {
    const userId = await readSession(c, c.get("config"));
    if (userId) await vaultFor(c.env, userId).clear();
    clearSession(c);
    return c.json(LOGOUT_RESULT);
  });
