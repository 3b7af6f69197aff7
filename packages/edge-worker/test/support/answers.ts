/** Reading and checking the Worker's answers: error bodies, security headers, digi.me's 5xx codes. */
import { expect } from "vitest";

/** An error answer's status, `Retry-After` and JSON error (`code` undefined when it is not one). */
export async function errorOf(response: Response): Promise<{
  status: number;
  retryAfter: string | null;
  code: string | undefined;
  message: string | undefined;
  upstream?: string;
}> {
  const text = await response.clone().text();
  let error: { code?: unknown; message?: unknown; upstream?: unknown } | undefined;
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error;
  } catch {
    error = undefined;
  }
  return {
    status: response.status,
    retryAfter: response.headers.get("Retry-After"),
    code: typeof error?.code === "string" ? error.code : undefined,
    message: typeof error?.message === "string" ? error.message : undefined,
    ...(typeof error?.upstream === "string" ? { upstream: error.upstream } : {}),
  };
}

/** The security headers every answer of the Worker carries (on https). */
export function expectSecurityHeaders(response: Response, where = ""): void {
  const h = response.headers;
  expect(h.get("Content-Security-Policy"), where).toBe(
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  );
  expect(h.get("X-Content-Type-Options"), where).toBe("nosniff");
  expect(h.get("X-Frame-Options"), where).toBe("DENY");
  expect(h.get("Referrer-Policy"), where).toBe("no-referrer");
  expect(h.get("Cross-Origin-Opener-Policy"), where).toBe("same-origin");
  expect(h.get("Cross-Origin-Resource-Policy"), where).toBe("same-origin");
  expect(h.get("Permissions-Policy"), where).toContain("camera=()");
  expect(h.get("Strict-Transport-Security"), where).toContain("max-age=");
  expect(h.get("Cache-Control"), where).toBe("no-store");
  expect(h.get("X-Permitted-Cross-Domain-Policies"), where).toBe("none");
}

/** 5xx codes the README documents for digi.me's own failures (the only 5xx a fuzzed request may get). */
export const DIGIME_5XX: ReadonlySet<string> = new Set([
  "DIGIME_ERROR",
  "DIGIME_REJECTED",
  "DIGIME_BAD_RESPONSE",
  "DIGIME_UNREACHABLE",
  "DIGIME_UNREACHABLE_NOT_SENT",
  "DIGIME_OUTCOME_UNKNOWN",
  "DIGIME_TIMEOUT",
  "DIGIME_UNAVAILABLE",
  "TOKEN_REFRESHED_RETRY",
]);
