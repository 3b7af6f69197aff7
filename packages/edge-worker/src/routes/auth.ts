import { type Context, Hono } from "hono";
import type { Config } from "../config.ts";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { AUTH_LATE_MS, AUTH_TTL_MS } from "../lib/auth-window.ts";
import { callbackGrant } from "../lib/callback-grant.ts";
import { contractDetails, describeDigiMeFailure, failureToError, getSdk } from "../lib/digime.ts";
import { LOGOUT_RESULT } from "../lib/logout.ts";
import { resolveReturnTo, withParam } from "../lib/return-to.ts";
import {
  clearPending,
  clearSession,
  type PendingSignIn,
  readPending,
  readSession,
  SESSION_MAX_AGE_S,
  vaultFor,
  writePending,
  writeSession,
} from "../lib/session.ts";
import { randomId } from "../lib/signing.ts";
import { originCheck } from "../middleware/origin-check.ts";
import { signInLimit } from "../middleware/sign-in-limit.ts";

/** Query parameter that carries an authorization failure's code to the app. */
export const ERROR_PARAM = "digimeError";

/**
 * The `errorCode`s of digi.me's failure answer that reach the app as they are; any other is shown
 * as `AUTHORIZATION_FAILED`, so that nobody can put words of their own on the app's page.
 */
export const SIGN_IN_ERROR_CODES: readonly string[] = ["AccessDenied", "InvalidPreauthorizationCode"];

/** The app's `returnTo` with `?digimeError=<code>`: how a sign-in that did not complete ends. */
function backToApp(c: Context<AppEnv>, returnTo: string, code: string): Response {
  return c.redirect(withParam(returnTo, ERROR_PARAM, code), 302);
}

/** The `returnTo` of a `/auth/start` request, when it is valid (a path here or an allowed app origin). */
function startReturnTo(c: Context<AppEnv>): string | undefined {
  const self = new URL(c.req.url).origin;
  return resolveReturnTo(c.req.query("returnTo"), self, c.get("config").allowedOrigins);
}

/**
 * A sign-in refused by `AUTH_START_LIMITER`: a browser's navigation, not a script, so it goes back
 * to its app with `?digimeError=RATE_LIMITED` and `Retry-After` (when its `returnTo` is valid; else
 * the 429).
 */
function limitedBackToApp(c: Context<AppEnv>, retryAfterS: number): Response | undefined {
  const returnTo = startReturnTo(c);
  if (!returnTo) return undefined;
  c.header("Retry-After", String(retryAfterS));
  return backToApp(c, returnTo, "RATE_LIMITED");
}

/** digi.me's `errorCode`, when it is on the known list, else `AUTHORIZATION_FAILED`. */
function digimeErrorCode(raw: string | undefined): string {
  return raw && SIGN_IN_ERROR_CODES.includes(raw) ? raw : "AUTHORIZATION_FAILED";
}

/** Code in `returnTo?digimeError=` for a sign-in finished after its window (`AUTH_TTL_MS`). */
export const SIGN_IN_EXPIRED = "SIGN_IN_EXPIRED";

/**
 * The pending sign-in this request's `state` names, from the browser's cookie. A request without
 * the cookie's state (forged, foreign, or sent by another site) is refused and ends nothing; one
 * with it ends the sign-in (the cookie is cleared). A sign-in past its window returns only its
 * `returnTo`, with `late: true`; one past its late window is refused.
 */
async function takePending(
  c: Context<AppEnv>,
  config: Config,
): Promise<{ late: true; returnTo: string } | ({ late: false } & PendingSignIn)> {
  const pending = await readPending(c, config);
  // The state must be the one this browser started (login CSRF, and no ending it from elsewhere).
  if (!pending || c.req.query("state") !== pending.state) {
    throw new ApiError(400, "BAD_STATE", "this sign-in was not started in this browser, or has expired");
  }
  clearPending(c);
  const age = Date.now() - pending.startedAt;
  if (age > AUTH_TTL_MS + AUTH_LATE_MS || age < 0)
    throw new ApiError(400, "BAD_STATE", "this sign-in has expired");
  if (age > AUTH_TTL_MS) return { late: true, returnTo: pending.returnTo };
  return { late: false, ...pending };
}

/**
 * `/auth/*`: start an authorization, receive digi.me's answer (success or failure), sign out.
 */
export const auth = new Hono<AppEnv>()
  .get("/start", signInLimit(limitedBackToApp), async (c) => {
    const config = c.get("config");
    const self = new URL(c.req.url).origin;
    const returnTo = startReturnTo(c);
    if (!returnTo) {
      throw new ApiError(
        400,
        "BAD_RETURN_TO",
        "returnTo must be a path here or a URL on an allowed app origin",
      );
    }
    const sourceType = c.req.query("sourceType");
    if (sourceType !== undefined && sourceType !== "pull" && sourceType !== "push") {
      throw new ApiError(400, "BAD_SOURCE_TYPE", "sourceType must be pull or push");
    }
    const state = randomId(24);
    let started: { url: string; codeVerifier: string };
    try {
      started = await getSdk(config).getAuthorizeUrl({
        contractDetails: contractDetails(config),
        // Postbox: digi.me calls it on failure; the state there lets only that call end this
        // sign-in. Import (version-10 sign-in): it is the redirect URI, for success and failure.
        callback:
          config.writeApi === "import" ? config.redirectUri : withParam(`${self}/auth/error`, "state", state),
        state,
        ...(sourceType === undefined ? {} : { sourceType }),
      });
    } catch (error) {
      throw failureToError(describeDigiMeFailure(error));
    }
    // Nothing is stored: the pending sign-in travels in the browser's encrypted cookie.
    await writePending(c, config, {
      state,
      codeVerifier: started.codeVerifier,
      returnTo,
      startedAt: Date.now(),
      sessionId: randomId(18),
    });
    return c.redirect(started.url, 302);
  })
  .get("/callback", async (c) => {
    const config = c.get("config");
    if (config.writeApi === "import" && c.req.query("success") !== "true" && !c.req.query("state")) {
      // An import contract's failure comes here and may carry no state: it goes back to the app
      // with its code but ends nothing (anyone can send a browser here), the sign-in goes on.
      const pending = await readPending(c, config);
      if (!pending) throw new ApiError(400, "BAD_STATE", "no sign-in was started in this browser");
      return backToApp(c, pending.returnTo, digimeErrorCode(c.req.query("errorCode")));
    }
    const pending = await takePending(c, config);
    if (pending.late) return backToApp(c, pending.returnTo, SIGN_IN_EXPIRED);
    const q = c.req.query();
    if (q.success !== "true") {
      return backToApp(c, pending.returnTo, digimeErrorCode(q.errorCode));
    }
    // What digi.me's redirect carries must be of the write API in use (WRITE_API_MISMATCH).
    const granted = callbackGrant(config.writeApi, q);
    if (!granted.ok) return backToApp(c, pending.returnTo, granted.code);
    if (!q.code || q.code.length > 4096) return backToApp(c, pending.returnTo, "BAD_CALLBACK");
    // A sign-in completes once: its fresh vault is claimed before digi.me is asked.
    const vault = vaultFor(c.env, pending.sessionId);
    if (!(await vault.claimSignIn())) {
      throw new ApiError(400, "BAD_STATE", "this sign-in was already used");
    }
    // The code is exchanged in the vault: the tokens never pass through this isolate.
    const exchanged = await vault.completeAuthorization({
      code: q.code,
      codeVerifier: pending.codeVerifier,
      ...granted.grant,
    });
    if (!exchanged.ok) return backToApp(c, pending.returnTo, exchanged.code);
    // The session this browser had before reaches nothing any more (no fixation, no mixing).
    const previous = await readSession(c, config);
    if (previous && previous !== pending.sessionId) await vaultFor(c.env, previous).clear();
    const untilRefreshExpires = Math.floor((exchanged.refreshExpiry - Date.now()) / 1000);
    await writeSession(
      c,
      config,
      pending.sessionId,
      Math.max(60, Math.min(SESSION_MAX_AGE_S, untilRefreshExpires)),
    );
    return c.redirect(pending.returnTo, 302);
  })
  .get("/error", async (c) => {
    // digi.me calls the callback it was given, which carries the state; nothing else ends a sign-in.
    const pending = await takePending(c, c.get("config"));
    if (pending.late) return backToApp(c, pending.returnTo, SIGN_IN_EXPIRED);
    return backToApp(c, pending.returnTo, digimeErrorCode(c.req.query("errorCode")));
  })
  .post("/logout", originCheck(), async (c) => {
    const userId = await readSession(c, c.get("config"));
    if (userId) await vaultFor(c.env, userId).clear();
    clearSession(c);
    return c.json(LOGOUT_RESULT);
  });
