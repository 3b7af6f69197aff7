/**
 * Anonymous sign-in floods. `GET /auth/start` keeps the pending sign-in (state,
 * PKCE verifier, return address) in an encrypted cookie and touches no storage: the user's Durable
 * Object is made only at a valid callback. Each client address (`CF-Connecting-IP`) may start
 * `SIGN_IN_LIMIT` sign-ins a minute (the `AUTH_START_LIMITER` rate-limiting binding); past that,
 * 429 with `Retry-After` and nothing is asked of digi.me.
 */
import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { errorOf } from "./support/answers.ts";
import { Browser, randomClientAddress } from "./support/browser.ts";
import { emulator } from "./support/emulator-admin.ts";
import { PENDING_COOKIE } from "./support/test-env.ts";

/** `AUTH_START_LIMITER`'s limit in wrangler.jsonc: sign-ins started per client address a minute. */
const SIGN_IN_LIMIT = 10;

const vaults = () => listDurableObjectIds((env as unknown as Env).USER_VAULT);

describe("sign-in floods", () => {
  it("/auth/start makes no Durable Object, and its cookie shows neither the state nor the return address", async () => {
    const before = (await vaults()).length;
    const returnTo = "/a-marker-path";
    const browser = new Browser();
    for (let i = 0; i < 5; i++) {
      const start = await new Browser().fetch(`/auth/start?returnTo=${encodeURIComponent(returnTo)}`);
      expect(start.status).toBe(302);
    }
    const start = await browser.fetch(`/auth/start?returnTo=${encodeURIComponent(returnTo)}`);
    expect((await vaults()).length).toBe(before);

    const cookie = decodeURIComponent(
      (browser.cookies.get(PENDING_COOKIE) ?? browser.cookies.get("digime_auth")) as string,
    );
    const consent = await fetch(start.headers.get("Location") as string, { redirect: "manual" });
    const callback = new URL(consent.headers.get("Location") as string);
    const state = callback.searchParams.get("state") as string;
    expect(state.length).toBeGreaterThanOrEqual(16);
    expect(cookie).not.toContain(state);
    expect(cookie).not.toContain("marker");
    // The valid callback is where the user's vault is made.
    expect((await browser.fetch(callback.href)).status).toBe(302);
    expect((await vaults()).length).toBe(before + 1);
  });

  it(`past ${SIGN_IN_LIMIT} sign-ins a minute from one address: 429 with Retry-After, and no call to digi.me`, async () => {
    const address = randomClientAddress();
    const headers = { "CF-Connecting-IP": address };
    let admitted = 0;
    let limited: Response | undefined;
    // Windows are a minute long: one may end during the loop, so up to twice the limit get through.
    for (let i = 0; i <= 2 * SIGN_IN_LIMIT && !limited; i++) {
      const calls = (await emulator.stats()).requests.authorize;
      const answer = await new Browser().fetch("/auth/start", { headers });
      if (answer.status === 302) {
        admitted++;
        continue;
      }
      limited = answer;
      // Refused before digi.me: no authorize call for it.
      expect((await emulator.stats()).requests.authorize).toBe(calls);
    }
    expect(limited).toBeDefined();
    expect(admitted).toBeGreaterThanOrEqual(SIGN_IN_LIMIT);
    expect(admitted).toBeLessThanOrEqual(2 * SIGN_IN_LIMIT);
    const refused = await errorOf(limited as Response);
    expect(refused).toMatchObject({ status: 429, code: "RATE_LIMITED" });
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    expect((limited as Response).headers.get("Location")).toBeNull();
    expect((limited as Response).headers.getSetCookie()).toEqual([]);

    // Another address is not limited.
    expect((await new Browser().fetch("/auth/start")).status).toBe(302);
  });
});
