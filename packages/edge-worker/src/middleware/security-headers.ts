import { createMiddleware } from "hono/factory";

/** Options of {@link securityHeaders}. */
export interface SecurityHeadersOptions {
  /** `Content-Security-Policy` of the Worker's own answers (JSON and redirects). */
  contentSecurityPolicy?: string;
}

/**
 * Adds security headers to every answer, errors included: a locked-down CSP (the Worker answers JSON
 * and redirects, never pages), no sniffing, no framing, no referrer, no caching, and HSTS on https.
 */
export function securityHeaders(options: SecurityHeadersOptions = {}) {
  const {
    contentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  } = options;
  return createMiddleware(async (c, next) => {
    await next();
    const h = c.res.headers;
    h.set("Content-Security-Policy", contentSecurityPolicy);
    h.set("X-Content-Type-Options", "nosniff");
    h.set("X-Frame-Options", "DENY");
    h.set("Referrer-Policy", "no-referrer");
    h.set("Cross-Origin-Opener-Policy", "same-origin");
    h.set("Cross-Origin-Resource-Policy", "same-origin");
    h.set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
    if (!h.has("Cache-Control")) h.set("Cache-Control", "no-store");
    if (new URL(c.req.url).protocol === "https:") {
      h.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    }
  });
}
