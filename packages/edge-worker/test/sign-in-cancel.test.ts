/**
 * Cancelled sign-ins. Any site can send the browser to `/auth/error`; only a
 * request carrying the pending sign-in's `state` (digi.me's call of the `callback` the Worker gave
 * it) ends that sign-in. The code shown to the app is one of the known list, else a generic one.
 */
import { describe, expect, it } from "vitest";
import { SIGN_IN_ERROR_CODES } from "../src/routes/auth.ts";
import { errorOf } from "./support/answers.ts";
import { Browser } from "./support/browser.ts";
import { APP_ORIGIN, ORIGIN, PENDING_COOKIE } from "./support/test-env.ts";

/** Starts a sign-in: the onboarding URL's `callback` (the Worker's error route, as given to digi.me). */
async function start(browser: Browser, returnTo = `${APP_ORIGIN}/back`) {
  const answer = await browser.fetch(`/auth/start?returnTo=${encodeURIComponent(returnTo)}`);
  expect(answer.status).toBe(302);
  const onboarding = new URL(answer.headers.get("Location") as string);
  return { onboarding, errorCallback: new URL(onboarding.searchParams.get("callback") as string) };
}

function pendingOf(browser: Browser): string | undefined {
  return browser.cookies.get(PENDING_COOKIE) ?? browser.cookies.get("digime_auth");
}

describe("cancelled sign-ins", () => {
  it("a navigation to /auth/error without the sign-in's state does not end it", async () => {
    const browser = new Browser();
    const { onboarding } = await start(browser);
    const pending = pendingOf(browser);
    expect(pending).toBeDefined();

    for (const query of [
      "success=false&errorCode=AccessDenied",
      "errorCode=AccessDenied",
      "success=false&errorCode=AccessDenied&state=forged.state",
      "",
    ]) {
      const answer = await browser.fetch(`/auth/error?${query}`);
      expect(await errorOf(answer), query).toMatchObject({ status: 400, code: "BAD_STATE" });
      expect(answer.headers.get("Location"), query).toBeNull();
      expect(answer.headers.getSetCookie(), query).toEqual([]);
      expect(pendingOf(browser), query).toBe(pending);
    }

    // The sign-in goes on and completes.
    const consent = await fetch(onboarding.href, { redirect: "manual" });
    const done = await browser.fetch(consent.headers.get("Location") as string);
    expect(done.status).toBe(302);
    expect(done.headers.get("Location")).toBe(`${APP_ORIGIN}/back`);
    expect(browser.userId).toBeDefined();
  });

  it("digi.me's call of the callback it was given carries the state and ends the sign-in", async () => {
    const browser = new Browser();
    const { onboarding, errorCallback } = await start(browser);
    expect(`${errorCallback.origin}${errorCallback.pathname}`).toBe(`${ORIGIN}/auth/error`);
    errorCallback.searchParams.set("success", "false");
    errorCallback.searchParams.set("errorCode", "AccessDenied");
    const answer = await browser.fetch(errorCallback.href);
    expect(answer.status).toBe(302);
    expect(answer.headers.get("Location")).toBe(`${APP_ORIGIN}/back?digimeError=AccessDenied`);
    expect(pendingOf(browser)).toBeUndefined();
    // Ended: the consent's callback finds no pending sign-in any more.
    const consent = await fetch(onboarding.href, { redirect: "manual" });
    const late = await browser.fetch(consent.headers.get("Location") as string);
    expect(await errorOf(late)).toMatchObject({ status: 400, code: "BAD_STATE" });
    expect(browser.userId).toBeUndefined();
  });

  it("an error code not on the known list reaches the app as AUTHORIZATION_FAILED", async () => {
    expect(SIGN_IN_ERROR_CODES).toContain("AccessDenied");
    for (const code of ["SomethingElse", "AccessDenied2", "<script>", "x".repeat(30)]) {
      const browser = new Browser();
      const { errorCallback } = await start(browser);
      errorCallback.searchParams.set("success", "false");
      errorCallback.searchParams.set("errorCode", code);
      const answer = await browser.fetch(errorCallback.href);
      expect(answer.headers.get("Location"), code).toBe(
        `${APP_ORIGIN}/back?digimeError=AUTHORIZATION_FAILED`,
      );
    }
    for (const code of SIGN_IN_ERROR_CODES) {
      const browser = new Browser();
      const { errorCallback } = await start(browser);
      errorCallback.searchParams.set("success", "false");
      errorCallback.searchParams.set("errorCode", code);
      const answer = await browser.fetch(errorCallback.href);
      expect(answer.headers.get("Location"), code).toBe(`${APP_ORIGIN}/back?digimeError=${code}`);
    }
  });

  it("the redirect URI's own failure answer (success=false) with the state is held to the same list", async () => {
    const browser = new Browser();
    const { onboarding } = await start(browser);
    const consent = await fetch(onboarding.href, { redirect: "manual" });
    const callback = new URL(consent.headers.get("Location") as string);
    callback.searchParams.set("success", "false");
    callback.searchParams.set("errorCode", "MadeUpByAnyone");
    const answer = await browser.fetch(callback.href);
    expect(answer.headers.get("Location")).toBe(`${APP_ORIGIN}/back?digimeError=AUTHORIZATION_FAILED`);
  });
});
