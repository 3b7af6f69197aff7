import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";

/**
 * Adds security headers to every answer, errors included: `hono/secure-headers` with a locked-down
 * CSP (the Worker returns JSON and redirects, never pages), no framing at all (`DENY`, not its
 * default `SAMEORIGIN`) and no powerful features; plus what it does not cover: no caching unless
 * the route says otherwise, and HSTS only on https (on http loopback it would mean nothing).
 */
export function securityHeaders() {
  const base = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
    },
    xFrameOptions: "DENY",
    strictTransportSecurity: false,
    permissionsPolicy: { camera: [], microphone: [], geolocation: [], payment: [] },
  });
  return createMiddleware(async (c, next) => {
    await base(c, next);
    const h = c.res.headers;
    if (!h.has("Cache-Control")) h.set("Cache-Control", "no-store");
    if (new URL(c.req.url).protocol === "https:") {
      h.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    }
  });
}
