/**
 * Session fixation: every completed sign-in gets a session id of its own, never
 * the one of a cookie the browser brought; the cookie the browser had before reaches nothing
 * afterwards; and a new sign-in starts from an empty vault, so no postbox or account of an earlier
 * one is mixed with the new tokens.
 */
import { describe, expect, it } from "vitest";
import { Browser, signedInBrowser, signIn } from "./support/browser.ts";
import { emulator } from "./support/emulator-admin.ts";
import { upload, uploadForm } from "./support/posts.ts";
import { expectNoSession, expectUploadUnauthenticated, sessionOf } from "./support/session-checks.ts";
import { SESSION_COOKIE } from "./support/test-env.ts";
import { postboxOf, storedTokens } from "./support/vault-access.ts";

/** A browser whose only cookie is the session cookie `value` (as sent). */
function withSession(value: string): Browser {
  const browser = new Browser();
  browser.cookies.set(SESSION_COOKIE, value);
  browser.cookies.set("digime_session", value);
  return browser;
}

/** The session cookie's value as the browser sends it, whatever its name. */
function sessionValue(browser: Browser): string {
  return (browser.cookies.get(SESSION_COOKIE) ?? browser.cookies.get("digime_session")) as string;
}

describe("session fixation", () => {
  it("signing in again gives a new session id; the previous cookie reaches nothing afterwards", async () => {
    const browser = await signedInBrowser();
    const oldId = browser.userId as string;
    const oldCookie = sessionValue(browser);
    await signIn(browser);
    const newId = browser.userId as string;
    expect(newId).not.toBe(oldId);

    const old = withSession(oldCookie);
    await expectNoSession(old);
    await expectUploadUnauthenticated(old);
    expect(await storedTokens(oldId)).toBeNull();
    expect(await sessionOf(browser)).toMatchObject({ authenticated: true, accountId: newId });
  });

  it("a session cookie planted in the victim's browser does not follow the victim into their sign-in", async () => {
    const attacker = await signedInBrowser();
    const attackerId = attacker.userId as string;
    const attackerPostbox = await postboxOf(attackerId);
    const planted = sessionValue(attacker);

    const victim = new Browser();
    for (const [k, v] of attacker.cookies) victim.cookies.set(k, v);
    await signIn(victim);
    const victimId = victim.userId as string;
    expect(victimId).not.toBe(attackerId);

    // The planted cookie now reaches nothing: not the victim's tokens, not an upload.
    const stale = withSession(planted);
    await expectNoSession(stale);
    await expectUploadUnauthenticated(stale, "into the victim's library?");

    const victimPostbox = await postboxOf(victimId);
    expect((await upload(victim, uploadForm("mine", undefined, "victim.txt"))).status).toBe(200);
    expect((await emulator.files(victimPostbox)).map((f) => f.fileName)).toEqual(["victim.txt"]);
    expect(await emulator.files(attackerPostbox)).toEqual([]);
  });

  it("a new sign-in never keeps the previous sign-in's postbox or account", async () => {
    const browser = await signedInBrowser();
    const first = await sessionOf(browser);
    expect(first.canWrite).toBe(true);

    // A second sign-in whose answer carries no postbox (as for a contract without one).
    const start = await browser.fetch("/auth/start");
    const consent = await fetch(start.headers.get("Location") as string, { redirect: "manual" });
    const callback = new URL(consent.headers.get("Location") as string);
    callback.searchParams.delete("postboxId");
    callback.searchParams.delete("publicKey");
    expect((await browser.fetch(callback.href)).status).toBe(302);

    const second = await sessionOf(browser);
    expect(second.authenticated).toBe(true);
    expect(second.canWrite).toBe(false);
    expect(second.publicKey).toBeUndefined();
    expect(second.accountId).not.toBe(first.accountId);
    expect((await upload(browser, uploadForm("x"))).status).toBe(403);
  });
});
