/**
 * Attacks on the routes that came with the import API, on a postbox Worker (accounts and user
 * deletion are there too): `DELETE /api/user` without, with a foreign, a look-alike or a `null`
 * `Origin`, as a cross-site form cannot even send it; with no, a forged, an expired or another
 * user's session; CORS preflights for `DELETE` from origins not allowed; and `GET /api/accounts`
 * read from another origin. Nothing may be deleted at digi.me by any of them, and the victim stays
 * signed in.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sign } from "../../src/lib/signing.ts";
import { errorOf, expectSecurityHeaders } from "../support/answers.ts";
import { Browser, preflight, signedInUser } from "../support/browser.ts";
import { emulator } from "../support/emulator-admin.ts";
import { APP_ORIGIN, SESSION_COOKIE } from "../support/test-env.ts";
import { storedTokens } from "../support/vault-access.ts";

const testEnv = env as unknown as Env;

/** The victim is untouched: signed in, tokens kept, nobody deleted at digi.me. */
async function expectUntouched(browser: Browser, userId: string, before: unknown) {
  expect(await storedTokens(userId)).toEqual(before);
  expect(await (await browser.fetch("/api/session")).json()).toMatchObject({ authenticated: true });
  expect((await emulator.stats()).userDeletions).toBe(0);
  expect((await emulator.stats()).requests.user).toBe(0);
}

describe("DELETE /api/user under attack", () => {
  it.each([
    ["no Origin", null],
    ["a foreign Origin", "https://evil.test"],
    ["a look-alike Origin", "https://app.test.evil.test"],
    ["http of the app's host", "http://app.test"],
    ["Origin null (sandboxed frame)", "null"],
  ])("with %s: 403 CSRF_ORIGIN, nothing deleted", async (_name, origin) => {
    const { browser, userId, before } = await signedInUser();
    const answer = await browser.fetch("/api/user", { method: "DELETE", origin });
    expectSecurityHeaders(answer);
    expect(await errorOf(answer)).toMatchObject({ status: 403, code: "CSRF_ORIGIN" });
    expect(answer.headers.getSetCookie()).toEqual([]);
    await expectUntouched(browser, userId, before);
  });

  it("a cross-site form can only POST or GET: neither deletes", async () => {
    const { browser, userId, before } = await signedInUser();
    for (const method of ["POST", "GET"]) {
      const answer = await browser.fetch("/api/user", {
        method,
        origin: method === "POST" ? "https://evil.test" : null,
        headers: { "Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site" },
        ...(method === "POST" ? { body: "_method=DELETE" } : {}),
      });
      expect([403, 404]).toContain(answer.status);
    }
    await expectUntouched(browser, userId, before);
  });

  it("with no, a forged, an expired, a re-signed or a swapped session: 401, nothing deleted", async () => {
    const victim = await signedInUser();
    const attacker = await signedInUser();
    await emulator.resetStats();
    const value = decodeURIComponent(victim.browser.cookies.get(SESSION_COOKIE) as string);
    const payload = value.slice(0, value.lastIndexOf("~"));
    const [, , expires] = payload.split(".");
    const attackerValue = decodeURIComponent(attacker.browser.cookies.get(SESSION_COOKIE) as string);
    const cookies = [
      undefined,
      "s1.AAAAAAAAAAAAAAAAAAAAAAAA.99999999999~forged",
      await sign("another-session-secret-0123456789abcdef", payload),
      await sign(testEnv.SESSION_SECRET, `s1.${victim.userId}.${Math.floor(Date.now() / 1000) - 5}`),
      // The attacker's own signature on the victim's id: signatures cover the whole payload.
      `s1.${victim.userId}.${expires}${attackerValue.slice(attackerValue.lastIndexOf("~"))}`,
    ];
    for (const cookie of cookies) {
      const answer = await new Browser().fetch("/api/user", {
        method: "DELETE",
        origin: APP_ORIGIN,
        headers: cookie === undefined ? {} : { Cookie: `${SESSION_COOKIE}=${encodeURIComponent(cookie)}` },
      });
      expect(await errorOf(answer)).toMatchObject({ status: 401, code: "UNAUTHENTICATED" });
    }
    await expectUntouched(victim.browser, victim.userId, victim.before);
    // The attacker's own cookie deletes only the attacker.
    const own = await attacker.browser.fetch("/api/user", { method: "DELETE", origin: APP_ORIGIN });
    expect(own.status).toBe(200);
    expect(await storedTokens(attacker.userId)).toBeNull();
    expect(await storedTokens(victim.userId)).toEqual(victim.before);
    expect(await (await victim.browser.fetch("/api/session")).json()).toMatchObject({ authenticated: true });
  });

  it("CORS: DELETE is preflighted for allowed origins only; accounts cannot be read from elsewhere", async () => {
    const { browser } = await signedInUser();
    const allowed = await preflight(browser, "/api/user", APP_ORIGIN, "DELETE");
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe(APP_ORIGIN);
    expect(allowed.headers.get("Access-Control-Allow-Methods")).toContain("DELETE");
    for (const origin of ["https://evil.test", "null"]) {
      const refused = await preflight(browser, "/api/user", origin, "DELETE");
      expect(refused.headers.get("Access-Control-Allow-Origin")).toBeNull();
      const read = await browser.fetch("/api/accounts", { origin });
      expect(read.headers.get("Access-Control-Allow-Origin")).toBeNull();
      expectSecurityHeaders(read);
    }
    expect((await emulator.stats()).userDeletions).toBe(0);
  });
});
