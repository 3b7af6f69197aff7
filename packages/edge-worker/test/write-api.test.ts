/**
 * The write API setting with a postbox contract (`DIGIME_WRITE_API` unset: `postbox`): a redirect
 * of the import API is refused, FHIR pushes are the import API's, and the calls both APIs have
 * (accounts, user deletion) work. The import contract's side is in `test/import`.
 */
import { describe, expect, it } from "vitest";
import { errorOf, expectSecurityHeaders } from "./support/answers.ts";
import { Browser, signedInUser } from "./support/browser.ts";
import { emulator } from "./support/emulator-admin.ts";
import { postFhir } from "./support/posts.ts";
import { APP_ORIGIN, ORIGIN, SESSION_COOKIE } from "./support/test-env.ts";
import { storedTokens } from "./support/vault-access.ts";

describe("DIGIME_WRITE_API=postbox", () => {
  it("a redirect with an accountReference is refused with WRITE_API_MISMATCH, back to the app", async () => {
    const browser = new Browser();
    const start = await browser.fetch(`/auth/start?returnTo=${encodeURIComponent(`${APP_ORIGIN}/p`)}`);
    const onboarding = new URL(start.headers.get("Location") as string);
    // The postbox sign-in of old: a callback in the onboarding URL, no default sourceType.
    expect(onboarding.searchParams.get("callback")).toMatch(`${ORIGIN}/auth/error?state=`);
    expect(onboarding.searchParams.has("sourceType")).toBe(false);
    const consent = await fetch(onboarding, { redirect: "manual" });
    const callback = new URL(consent.headers.get("Location") as string);
    callback.searchParams.set("accountReference", "an-account");
    await emulator.resetStats();
    const done = await browser.fetch(callback.href);
    expect(done.headers.get("Location")).toBe(`${APP_ORIGIN}/p?digimeError=WRITE_API_MISMATCH`);
    expect((await emulator.stats()).codeExchanges).toBe(0);
    expect(browser.userId).toBeUndefined();
  });

  it("POST /api/fhir/{version} is 409 IMPORT_API_REQUIRED", async () => {
    const { browser } = await signedInUser();
    const response = await postFhir(browser, { accountId: "a", resource: { resourceType: "Bundle" } });
    expectSecurityHeaders(response);
    expect(await errorOf(response)).toMatchObject({ status: 409, code: "IMPORT_API_REQUIRED" });
    expect((await emulator.stats()).requests.fhir).toBe(0);
  });

  it("GET /api/accounts and DELETE /api/user work with a postbox contract too", async () => {
    const { browser, userId } = await signedInUser();
    const listed = await browser.fetch("/api/accounts");
    expect(listed.status).toBe(200);
    expect(Array.isArray(((await listed.json()) as { accounts: unknown }).accounts)).toBe(true);
    const deleted = await browser.fetch("/api/user", { method: "DELETE", origin: APP_ORIGIN });
    expectSecurityHeaders(deleted);
    expect(await deleted.json()).toEqual({ deleted: true, signedOut: true });
    expect(browser.cookie(SESSION_COOKIE)).toBeUndefined();
    expect(await storedTokens(userId)).toBeNull();
    expect((await emulator.stats()).userDeletions).toBe(1);
  });
});
