/**
 * Anonymous sign-in floods. `GET /auth/start` keeps the pending sign-in (state,
 * PKCE verifier, return address) in an encrypted cookie and touches no storage: the user's Durable
 * Object is made only at a valid callback. Each client address (`CF-Connecting-IP`) may start
 * `SIGN_IN_LIMIT` sign-ins a minute (the `AUTH_START_LIMITER` rate-limiting binding); past that,
 * nothing is asked of digi.me, and the browser goes back to its app with `?digimeError=RATE_LIMITED`
 * and `Retry-After` (a 429 with `Retry-After` when its `returnTo` is not valid).
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

  it(`past ${SIGN_IN_LIMIT} sign-ins a minute from one address: back to the app with RATE_LIMITED and Retry-After, no call to digi.me`, async () => {
    const address = randomClientAddress();
    const headers = { "CF-Connecting-IP": address };
    /** Where a refused sign-in that names a valid `returnTo` is sent back to. */
    const refusedTo = (returnTo: string) => {
      const url = new URL(returnTo, "https://edge.test");
      url.searchParams.set("digimeError", "RATE_LIMITED");
      return url.href;
    };
    let admitted = 0;
    let limited: Response | undefined;
    // Windows are a minute long: one may end during the loop, so up to twice the limit get through.
    for (let i = 0; i <= 2 * SIGN_IN_LIMIT && !limited; i++) {
      const calls = (await emulator.stats()).requests.authorize;
      const answer = await new Browser().fetch("/auth/start?returnTo=%2Fpage%3Fx%3D1", { headers });
      expect(answer.status).toBe(302);
      if (answer.headers.get("Location") !== refusedTo("/page?x=1")) {
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
    const retryAfter = Number((limited as Response).headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((limited as Response).headers.getSetCookie()).toEqual([]);

    // A URL on an allowed app origin is gone back to as well (the default returnTo is `/`).
    const app = await new Browser().fetch("/auth/start?returnTo=https%3A%2F%2Fapp.test%2Fhome", { headers });
    expect(app.headers.get("Location")).toBe("https://app.test/home?digimeError=RATE_LIMITED");
    const bare = await new Browser().fetch("/auth/start", { headers });
    expect(bare.headers.get("Location")).toBe(refusedTo("/"));
    // A returnTo that is not valid is never redirected to: the 429 as JSON.
    const foreign = await new Browser().fetch("/auth/start?returnTo=https%3A%2F%2Fevil.test%2F", {
      headers,
    });
    const refused = await errorOf(foreign);
    expect(refused).toMatchObject({ status: 429, code: "RATE_LIMITED" });
    expect(Number(refused.retryAfter)).toBe(retryAfter);
    expect(foreign.headers.get("Location")).toBeNull();
    expect(foreign.headers.getSetCookie()).toEqual([]);

    // Another address is not limited.
    const other = await new Browser().fetch("/auth/start");
    expect(other.status).toBe(302);
    expect(other.headers.get("Location")).not.toContain("digimeError");
  });
});
