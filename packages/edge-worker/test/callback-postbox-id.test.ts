/**
 * `GET /auth/callback` refuses a `postboxId` that sdk-core would refuse to write to (`..`, control
 * characters, …) with `BAD_CALLBACK`, before the code is exchanged: stored, it would fail every
 * write of the session. Which ids both take is `test/node/postbox-id.test.ts`.
 */
import { describe, expect, it } from "vitest";
import { Browser } from "./support/browser.ts";
import { emulator } from "./support/emulator-admin.ts";
import { APP_ORIGIN } from "./support/test-env.ts";

/** A sign-in's redirect back from digi.me, with `postboxId` replaced when `postboxId` is given. */
async function finishSignIn(browser: Browser, postboxId?: string): Promise<Response> {
  const start = await browser.fetch(`/auth/start?returnTo=${encodeURIComponent(`${APP_ORIGIN}/p`)}`);
  const consent = await fetch(start.headers.get("Location") as string, { redirect: "manual" });
  const callback = new URL(consent.headers.get("Location") as string);
  expect(callback.searchParams.get("postboxId")).toBeTruthy();
  if (postboxId !== undefined) callback.searchParams.set("postboxId", postboxId);
  await emulator.resetStats();
  return browser.fetch(callback.href);
}

describe("GET /auth/callback: the postbox id", () => {
  it.each(["a..b", "..", ".", "pb\x00", "pb\x1f", "pb\x7f", "pb\n"])(
    "%j is refused with BAD_CALLBACK, back to the app, and nothing is exchanged or stored",
    async (postboxId) => {
      const browser = new Browser();
      const done = await finishSignIn(browser, postboxId);
      expect(done.status).toBe(302);
      expect(done.headers.get("Location")).toBe(`${APP_ORIGIN}/p?digimeError=BAD_CALLBACK`);
      expect((await emulator.stats()).codeExchanges).toBe(0);
      expect(browser.userId).toBeUndefined();
    },
  );

  it("the emulator's own id, and another well-formed one, sign in (the control)", async () => {
    for (const postboxId of [undefined, "another-postbox.1"]) {
      const browser = new Browser();
      const done = await finishSignIn(browser, postboxId);
      expect(done.headers.get("Location")).toBe(`${APP_ORIGIN}/p`);
      expect((await emulator.stats()).codeExchanges).toBe(1);
      expect(browser.userId).toBeDefined();
    }
  });
});
