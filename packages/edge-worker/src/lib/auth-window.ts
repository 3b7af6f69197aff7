/**
 * How long a sign-in may take. The browser keeps the pending sign-in (its encrypted cookie, which
 * holds when the sign-in started) for both windows: the first to finish the sign-in, the second
 * only to send a browser that comes back late to its app with `SIGN_IN_EXPIRED`.
 */

/** A pending authorization can be finished this long after it started. */
export const AUTH_TTL_MS = 30 * 60_000;

/** An expired pending authorization is kept this long more, only to say where to go back. */
export const AUTH_LATE_MS = 24 * 3600_000;
