/**
 * Cookie scope. A sibling subdomain of a custom domain can set cookies for the
 * parent domain on any path, and browsers send the cookie with the longer path first. The session
 * and pending sign-in cookies are `__Host-` cookies on https (Secure, `Path=/`, no `Domain`: no
 * other host can set or shadow them), and the Worker reads no other name there. The browser here
 * keeps cookies in tough-cookie's jar, which applies the same rules as a browser.
 */
import { CookieJar } from "tough-cookie";
import { describe, expect, it } from "vitest";
import { Browser, signedInBrowser, signIn } from "./support/browser.ts";
import { emulator } from "./support/emulator-admin.ts";
import { upload, uploadForm } from "./support/posts.ts";
import { ORIGIN, PENDING_COOKIE, SESSION_COOKIE } from "./support/test-env.ts";
import { postboxOf } from "./support/vault-access.ts";

/** The page of a sibling subdomain that the attacker controls. */
const SIBLING = "https://attacker.edge.test/";

async function accountOf(browser: Browser): Promise<string | undefined> {
  return ((await (await browser.fetch("/api/session")).json()) as { accountId?: string }).accountId;
}

describe("cookie scope", () => {
  it("a session cookie planted from a sibling subdomain on the upload path does not steer the victim's uploads", async () => {
    const attacker = await signedInBrowser();
    const attackerPostbox = await postboxOf(attacker.userId as string);
    const victim = new Browser({ jar: new CookieJar() });
    await signIn(victim);
    const victimId = victim.userId as string;
    const victimPostbox = await postboxOf(victimId);

    // The attacker's own valid session, under every name the Worker has used, for the parent
    // domain and the upload paths (longer than `/`, so sent first).
    const jar = victim.jar as CookieJar;
    const planted: string[] = [];
    for (const [, value] of attacker.cookies) {
      for (const name of [SESSION_COOKIE, "digime_session"]) {
        for (const path of ["/api/files", "/api/sealed-files", "/api"]) {
          const cookie = `${name}=${value}; Domain=edge.test; Path=${path}; Secure; SameSite=Lax`;
          if (await jar.setCookie(cookie, SIBLING, { ignoreError: true })) planted.push(cookie);
        }
      }
    }
    // The jar refuses a `__Host-` cookie with a Domain, as browsers do, and keeps the others.
    expect(planted.length).toBeGreaterThan(0);
    expect(planted.every((c) => !c.startsWith("__Host-"))).toBe(true);
    // Two cookies of one name reach the upload route: the attacker's first.
    expect(await jar.getCookieString(`${ORIGIN}/api/files`)).toContain("digime_session=");

    expect(await accountOf(victim)).toBe(victimId);
    const answer = await upload(victim, uploadForm("the victim's file", undefined, "mine.txt"));
    expect(answer.status, await answer.clone().text()).toBe(200);
    expect((await emulator.files(victimPostbox)).map((f) => f.fileName)).toEqual(["mine.txt"]);
    expect(await emulator.files(attackerPostbox)).toEqual([]);
  });

  it("a pending sign-in cookie planted from a sibling subdomain cannot sign the victim in as the attacker (login CSRF)", async () => {
    // The attacker starts a sign-in of their own and consents: their cookie and their callback.
    const attacker = new Browser();
    const start = await attacker.fetch("/auth/start");
    const consent = await fetch(start.headers.get("Location") as string, { redirect: "manual" });
    const callback = consent.headers.get("Location") as string;
    const value = attacker.cookies.get(PENDING_COOKIE) as string;
    expect(value).toBeDefined();

    const victim = new Browser({ jar: new CookieJar() });
    const jar = victim.jar as CookieJar;
    for (const name of [PENDING_COOKIE, "digime_auth"]) {
      for (const path of ["/", "/auth", "/auth/callback"]) {
        await jar.setCookie(`${name}=${value}; Domain=edge.test; Path=${path}; Secure`, SIBLING, {
          ignoreError: true,
        });
      }
    }
    expect(await jar.getCookieString(`${ORIGIN}/auth/callback`)).not.toContain(PENDING_COOKIE);
    // The victim is sent to the attacker's callback: refused, and not signed in as anyone.
    const answer = await victim.fetch(callback);
    expect(answer.status).toBe(400);
    expect(victim.userId).toBeUndefined();
    expect(await accountOf(victim)).toBeUndefined();
  });

  it("on https the cookies are __Host- cookies (Secure, Path=/, no Domain), and a plain-named cookie is not read", async () => {
    expect([SESSION_COOKIE, PENDING_COOKIE]).toEqual(["__Host-digime_session", "__Host-digime_auth"]);
    const browser = new Browser();
    const start = await browser.fetch("/auth/start");
    const pending = start.headers.getSetCookie().find((c) => c.startsWith(`${PENDING_COOKIE}=`));
    expect(pending).toBeDefined();
    const consent = await fetch(start.headers.get("Location") as string, { redirect: "manual" });
    const done = await browser.fetch(consent.headers.get("Location") as string);
    const session = done.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    expect(session).toBeDefined();
    for (const cookie of [pending as string, session as string]) {
      expect(cookie).toMatch(/; Secure(;|$)/i);
      expect(cookie).toMatch(/; Path=\/(;|$)/i);
      expect(cookie).toMatch(/; HttpOnly(;|$)/i);
      expect(cookie).toMatch(/; SameSite=Lax(;|$)/i);
      expect(cookie).not.toMatch(/Domain=/i);
    }
    // A real jar keeps both (the prefix rules hold).
    const jar = new CookieJar();
    expect(await jar.setCookie(session as string, `${ORIGIN}/auth/callback`)).toBeDefined();

    // The same valid value under the plain name is not a session on https.
    const value = browser.cookies.get(SESSION_COOKIE) as string;
    const plain = new Browser();
    plain.cookies.set("digime_session", value);
    expect(await accountOf(plain)).toBeUndefined();
    expect((await upload(plain, uploadForm("x"))).status).toBe(401);
  });

  it("on http (local development) the cookies have plain names, HttpOnly and Lax, not Secure", async () => {
    const start = await new Browser().fetch("http://edge.test/auth/start");
    const pending = start.headers.getSetCookie().find((c) => c.startsWith("digime_auth=")) as string;
    expect(pending).toMatch(/HttpOnly/i);
    expect(pending).toMatch(/SameSite=Lax/i);
    expect(pending).toMatch(/; Path=\/(;|$)/i);
    expect(pending).not.toMatch(/Secure/i);
    expect(start.headers.getSetCookie().some((c) => c.startsWith("__Host-"))).toBe(false);
  });
});
