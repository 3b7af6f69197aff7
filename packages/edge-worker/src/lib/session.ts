import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Config } from "../config.ts";
import type { AppEnv } from "../env.ts";
import { AUTH_LATE_MS, AUTH_TTL_MS } from "./auth-window.ts";
import { openCookie, sealCookie } from "./sealed-cookie.ts";
import { sign, verify } from "./signing.ts";

/**
 * The Worker's cookie names. On https they are `__Host-` cookies (Secure, `Path=/`, no `Domain`),
 * which no other host, a sibling subdomain included, can set or shadow; the Worker reads no other
 * name there. On plain http (local development on a loopback address) browsers refuse `__Host-`
 * and `Secure`, so the names are plain.
 */
export const COOKIE_NAMES = {
  https: { session: "__Host-digime_session", pending: "__Host-digime_auth" },
  http: { session: "digime_session", pending: "digime_auth" },
} as const;
/** Longest a session lasts, in seconds (shorter when the refresh token expires sooner). */
export const SESSION_MAX_AGE_S = 30 * 24 * 3600;
/** Life of the pending sign-in cookie, in seconds: both windows of auth-window.ts. */
export const AUTH_MAX_AGE_S = (AUTH_TTL_MS + AUTH_LATE_MS) / 1000;
/** Purpose (HKDF info and associated data) of the pending sign-in cookie's encryption. */
export const PENDING_PURPOSE = "pending-sign-in v1";

const USER_ID = /^[A-Za-z0-9_-]{16,64}$/;

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:";
}

/** The names of this request's scheme. */
function namesFor(c: Context): { session: string; pending: string } {
  return isHttps(c) ? COOKIE_NAMES.https : COOKIE_NAMES.http;
}

/** Attributes of both cookies: HttpOnly, Lax, `Path=/`, Secure on https (as `__Host-` requires). */
function attributes(c: Context) {
  return { path: "/", httpOnly: true, sameSite: "Lax", secure: isHttps(c) } as const;
}

/**
 * The signed-in user's id from the session cookie, when its signature and expiry hold.
 *
 * @param c - The request context.
 * @param config - The validated configuration.
 */
export async function readSession(c: Context<AppEnv>, config: Config): Promise<string | undefined> {
  const payload = await verify(config.sessionSecret, getCookie(c, namesFor(c).session));
  if (!payload) return undefined;
  const [version, userId, expires] = payload.split(".");
  if (version !== "s1" || !userId || !USER_ID.test(userId) || !(Number(expires) > Date.now() / 1000)) {
    return undefined;
  }
  return userId;
}

/**
 * Sets the session cookie: signed, HttpOnly, SameSite=Lax, `Path=/`; `__Host-` and Secure on https.
 *
 * @param c - The request context.
 * @param config - The validated configuration.
 * @param userId - The user's id.
 * @param maxAgeS - Lifetime in seconds.
 */
export async function writeSession(
  c: Context<AppEnv>,
  config: Config,
  userId: string,
  maxAgeS: number,
): Promise<void> {
  const expires = Math.floor(Date.now() / 1000) + maxAgeS;
  setCookie(c, namesFor(c).session, await sign(config.sessionSecret, `s1.${userId}.${expires}`), {
    ...attributes(c),
    maxAge: maxAgeS,
  });
}

/**
 * Removes the session cookie.
 *
 * @param c - The request context.
 */
export function clearSession(c: Context<AppEnv>): void {
  deleteCookie(c, namesFor(c).session, attributes(c));
}

/** A sign-in between `/auth/start` and digi.me's answer, as its cookie holds it. */
export interface PendingSignIn {
  /** The `state` sent to digi.me. */
  state: string;
  /** The PKCE code verifier. */
  codeVerifier: string;
  /** Where to send the browser afterwards. */
  returnTo: string;
  /** When the sign-in started (ms since the epoch). */
  startedAt: number;
  /** The session id the sign-in gets when it completes (fresh for every sign-in). */
  sessionId: string;
}

/**
 * Keeps a pending sign-in in the browser: an encrypted and authenticated cookie (AES-GCM, key from
 * `SESSION_SECRET`), so that starting a sign-in stores nothing in the Worker.
 *
 * @param c - The request context.
 * @param config - The validated configuration.
 * @param pending - The sign-in.
 */
export async function writePending(
  c: Context<AppEnv>,
  config: Config,
  pending: PendingSignIn,
): Promise<void> {
  const { state, codeVerifier, returnTo, startedAt, sessionId } = pending;
  const value = await sealCookie(
    config.sessionSecret,
    PENDING_PURPOSE,
    JSON.stringify([state, codeVerifier, returnTo, startedAt, sessionId]),
  );
  setCookie(c, namesFor(c).pending, value, { ...attributes(c), maxAge: AUTH_MAX_AGE_S });
}

/**
 * This browser's pending sign-in, when its cookie opens (made by this Worker, unchanged).
 *
 * @param c - The request context.
 * @param config - The validated configuration.
 */
export async function readPending(c: Context<AppEnv>, config: Config): Promise<PendingSignIn | undefined> {
  const plain = await openCookie(config.sessionSecret, PENDING_PURPOSE, getCookie(c, namesFor(c).pending));
  if (!plain) return undefined;
  const [state, codeVerifier, returnTo, startedAt, sessionId] = JSON.parse(plain) as unknown[];
  if (
    typeof state !== "string" ||
    typeof codeVerifier !== "string" ||
    typeof returnTo !== "string" ||
    typeof startedAt !== "number" ||
    typeof sessionId !== "string" ||
    !USER_ID.test(sessionId)
  ) {
    return undefined;
  }
  return { state, codeVerifier, returnTo, startedAt, sessionId };
}

/**
 * Removes the pending sign-in cookie.
 *
 * @param c - The request context.
 */
export function clearPending(c: Context<AppEnv>): void {
  deleteCookie(c, namesFor(c).pending, attributes(c));
}

/**
 * The stub of a user's vault.
 *
 * @param env - The Worker's bindings.
 * @param userId - The user's id.
 */
export function vaultFor(env: AppEnv["Bindings"], userId: string) {
  return env.USER_VAULT.get(env.USER_VAULT.idFromName(`user:${userId}`));
}
