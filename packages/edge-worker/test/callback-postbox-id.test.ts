/**
 * `GET /auth/callback` refuses a `postboxId` or `publicKey` that sdk-core would refuse to write
 * with (`..`, control characters, …; a key its parser cannot read) with `BAD_CALLBACK`, before the
 * code is exchanged: stored, it would fail every write of the session. Which ids and keys both
 * take is `test/node/postbox-id.test.ts` and `test/node/postbox-key.test.ts`.
 */
import { describe, expect, it } from "vitest";
import { Browser } from "./support/browser.ts";
import { emulator } from "./support/emulator-admin.ts";
import { APP_ORIGIN } from "./support/test-env.ts";

/** A sign-in's redirect back from digi.me, with the query members of `replace` replaced. */
async function finishSignIn(browser: Browser, replace: Record<string, string> = {}): Promise<Response> {
  const start = await browser.fetch(`/auth/start?returnTo=${encodeURIComponent(`${APP_ORIGIN}/p`)}`);
  const consent = await fetch(start.headers.get("Location") as string, { redirect: "manual" });
  const callback = new URL(consent.headers.get("Location") as string);
  expect(callback.searchParams.get("postboxId")).toBeTruthy();
  expect(callback.searchParams.get("publicKey")).toBeTruthy();
  for (const [name, value] of Object.entries(replace)) callback.searchParams.set(name, value);
  await emulator.resetStats();
  return browser.fetch(callback.href);
}

/** Expects `done` to be the refusal of a sign-in, with nothing exchanged or stored. */
async function expectRefused(browser: Browser, done: Response): Promise<void> {
  expect(done.status).toBe(302);
  expect(done.headers.get("Location")).toBe(`${APP_ORIGIN}/p?digimeError=BAD_CALLBACK`);
  expect((await emulator.stats()).codeExchanges).toBe(0);
  expect(browser.userId).toBeUndefined();
}

describe("GET /auth/callback: the postbox id", () => {
  it.each(["a..b", "..", ".", "pb\x00", "pb\x1f", "pb\x7f", "pb\n"])(
    "%j is refused with BAD_CALLBACK, back to the app, and nothing is exchanged or stored",
    async (postboxId) => {
      const browser = new Browser();
      await expectRefused(browser, await finishSignIn(browser, { postboxId }));
    },
  );

  it("the emulator's own id, and another well-formed one, sign in (the control)", async () => {
    for (const replace of [{}, { postboxId: "another-postbox.1" }] as Record<string, string>[]) {
      const browser = new Browser();
      const done = await finishSignIn(browser, replace);
      expect(done.headers.get("Location")).toBe(`${APP_ORIGIN}/p`);
      expect((await emulator.stats()).codeExchanges).toBe(1);
      expect(browser.userId).toBeDefined();
    }
  });
});

describe("GET /auth/callback: the postbox key", () => {
  it("a PEM-shaped key that sdk-core cannot read is refused with BAD_CALLBACK", async () => {
    const browser = new Browser();
    const publicKey = "-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEAx\n-----END RSA PUBLIC KEY-----\n";
    await expectRefused(browser, await finishSignIn(browser, { publicKey }));
  });
});
