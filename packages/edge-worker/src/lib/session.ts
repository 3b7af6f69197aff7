import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Config } from "../config";
import type { AppEnv } from "../env";
import { AUTH_LATE_MS, AUTH_TTL_MS } from "./auth-window";
import { sign, verify } from "./signing";

/** Name of the session cookie: a signed, opaque user id. */
export const SESSION_COOKIE = "digime_session";
/** Name of the cookie binding a pending authorization's state to the browser that started it. */
export const AUTH_COOKIE = "digime_auth";
/** Longest a session lasts, in seconds (shorter when the refresh token expires sooner). */
export const SESSION_MAX_AGE_S = 30 * 24 * 3600;
/** Life of the pending-authorization cookie, in seconds: both windows of auth-window.ts. */
export const AUTH_MAX_AGE_S = (AUTH_TTL_MS + AUTH_LATE_MS) / 1000;

const USER_ID = /^[A-Za-z0-9_-]{16,64}$/;

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:";
}

/**
 * The signed-in user's id from the session cookie, when its signature and expiry hold.
 *
 * @param c - The request context.
 * @param config - The validated configuration.
 */
export async function readSession(c: Context<AppEnv>, config: Config): Promise<string | undefined> {
  const payload = await verify(config.sessionSecret, getCookie(c, SESSION_COOKIE));
  if (!payload) return undefined;
  const [version, userId, expires] = payload.split(".");
  if (version !== "s1" || !userId || !USER_ID.test(userId) || !(Number(expires) > Date.now() / 1000)) {
    return undefined;
  }
  return userId;
}

/**
 * Sets the session cookie: HttpOnly, SameSite=Lax, Secure on https, signed.
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
  setCookie(c, SESSION_COOKIE, await sign(config.sessionSecret, `s1.${userId}.${expires}`), {
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    secure: isHttps(c),
    maxAge: maxAgeS,
  });
}

/**
 * Removes the session cookie.
 *
 * @param c - The request context.
 */
export function clearSession(c: Context<AppEnv>): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/", httpOnly: true, sameSite: "Lax", secure: isHttps(c) });
}

/**
 * Binds an authorization's `state` to this browser with a short-lived signed cookie.
 *
 * @param c - The request context.
 * @param config - The validated configuration.
 * @param state - The state sent to digi.me.
 */
export async function writeAuthCookie(c: Context<AppEnv>, config: Config, state: string): Promise<void> {
  setCookie(c, AUTH_COOKIE, await sign(config.sessionSecret, `a1.${state}`), {
    path: "/auth",
    httpOnly: true,
    sameSite: "Lax",
    secure: isHttps(c),
    maxAge: AUTH_MAX_AGE_S,
  });
}

/**
 * The state this browser's pending authorization was started with, when its cookie verifies.
 *
 * @param c - The request context.
 * @param config - The validated configuration.
 */
export async function readAuthCookie(c: Context<AppEnv>, config: Config): Promise<string | undefined> {
  const payload = await verify(config.sessionSecret, getCookie(c, AUTH_COOKIE));
  return payload?.startsWith("a1.") ? payload.slice(3) : undefined;
}

/**
 * Removes the pending-authorization cookie.
 *
 * @param c - The request context.
 */
export function clearAuthCookie(c: Context<AppEnv>): void {
  deleteCookie(c, AUTH_COOKIE, { path: "/auth", httpOnly: true, sameSite: "Lax", secure: isHttps(c) });
}

/**
 * Whether `id` has the shape of a user id this Worker makes.
 *
 * @param id - A candidate id.
 */
export function isUserId(id: string): boolean {
  return USER_ID.test(id);
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
