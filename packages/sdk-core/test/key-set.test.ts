import { createPublicKey } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { verifyJwt } from "../src/crypto/jws.ts";
import { TokenVerificationError } from "../src/errors.ts";
import { createKeySetResolver, type KeySetResolverOptions } from "../src/request/key-set.ts";
import type { HttpSettings } from "../src/request/send.ts";
import { vectors } from "./support/fake-digime.ts";
import { useFakeDigime } from "./support/use-fake-digime.ts";

const fake = useFakeDigime({ reset: false });

const keySetPem = vectors.keys.digime.publicPkcs1;

/** A fetch that serves key sets from a table and counts requests per URL. */
function keySetFetch(table: Record<string, () => Response>) {
  const calls: string[] = [];
  const fetch = (async (url: string) => {
    calls.push(url);
    const answer = table[url];
    return answer ? answer() : new Response("{}", { status: 404 });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}

const http = (fetch: typeof globalThis.fetch): HttpSettings => ({
  fetch,
  retry: { limit: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1, resendWhenUnknown: false },
  timeoutMs: 5000,
});

/** A key set URL on the trusted origin. */
const JWKS_URL = "https://api.digi.me/jwks";

/** A resolver that fetches with `fetch` and trusts https://api.digi.me, unless `extra` says otherwise. */
const resolverFor = (fetch: typeof globalThis.fetch, extra: Partial<KeySetResolverOptions> = {}) =>
  createKeySetResolver({ http: http(fetch), trustedOrigins: new Set(["https://api.digi.me"]), ...extra });

const set =
  (...keys: unknown[]) =>
  () =>
    Response.json({ keys });

describe("key sets", () => {
  it("fetches a pem key set from the trusted origin, and caches it", async () => {
    const url = "https://api.digi.me/v1.7/jwks/oauth";
    const { fetch, calls } = keySetFetch({ [url]: set({ kid: "k1", pem: keySetPem }) });
    const resolve = resolverFor(fetch);
    const key = await resolve({ jku: url, kid: "k1" });
    expect(key.algorithm).toMatchObject({ name: "RSA-PSS" });
    expect(key.usages).toEqual(["verify"]);
    await resolve({ jku: url, kid: "k1" });
    expect(calls).toEqual([url]);
  });

  it("accepts the JWK form", async () => {
    const jwk = createPublicKey(vectors.keys.digime.publicSpki).export({ format: "jwk" });
    const { fetch } = keySetFetch({ [JWKS_URL]: set({ kid: "other", kty: "EC" }, { kid: "k1", ...jwk }) });
    const resolve = resolverFor(fetch);
    await expect(resolve({ jku: JWKS_URL, kid: "k1" })).resolves.toMatchObject({ type: "public" });
  });

  const refused: [string, string, string][] = [
    ["another origin", "https://evil.example/jwks", "https://api.digi.me"],
    ["another port", "https://api.digi.me:8443/jwks", "https://api.digi.me"],
    ["http where https is trusted", "http://api.digi.me/jwks", "https://api.digi.me"],
    ["credentials on a trusted origin", "https://user:pass@api.digi.me/jwks", "https://api.digi.me"],
    ["a relative URL", "/jwks", "https://api.digi.me"],
    ["a non-http scheme", "file:///etc/jwks", "https://api.digi.me"],
    ["no jku at all", "", "https://api.digi.me"],
  ];
  for (const [name, jku, trusted] of refused) {
    it(`refuses ${name}, fetching nothing`, async () => {
      const { fetch, calls } = keySetFetch({ [jku]: set({ kid: "k1", pem: keySetPem }) });
      const resolve = createKeySetResolver({ http: http(fetch), trustedOrigins: new Set([trusted]) });
      const error = await resolve({ jku: jku || undefined, kid: "k1" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenVerificationError);
      expect(error).toMatchObject({ code: "UNTRUSTED_KEY_SET" });
      expect(calls).toEqual([]);
    });
  }

  it("accepts plain http from an origin that is explicitly trusted", async () => {
    const { fetch } = keySetFetch({ "http://127.0.0.1:9/jwks": set({ kid: "k1", pem: keySetPem }) });
    const resolve = createKeySetResolver({
      http: http(fetch),
      trustedOrigins: new Set(["http://127.0.0.1:9"]),
    });
    await expect(resolve({ jku: "http://127.0.0.1:9/jwks", kid: "k1" })).resolves.toBeDefined();
  });

  it("fetches again once for an unknown kid, then finds a rotated key", async () => {
    let generation = 0;
    const { fetch, calls } = keySetFetch({
      [JWKS_URL]: () =>
        Response.json({ keys: [{ kid: generation++ === 0 ? "old" : "new", pem: keySetPem }] }),
    });
    const resolve = resolverFor(fetch);
    await resolve({ jku: JWKS_URL, kid: "old" });
    await expect(resolve({ jku: JWKS_URL, kid: "new" })).resolves.toBeDefined();
    expect(calls).toHaveLength(2);
  });

  it("fetches again only once for a kid that stays unknown", async () => {
    const { fetch, calls } = keySetFetch({ [JWKS_URL]: set({ kid: "k1", pem: keySetPem }) });
    const resolve = resolverFor(fetch);
    await resolve({ jku: JWKS_URL, kid: "k1" });
    const error = await resolve({ jku: JWKS_URL, kid: "nope" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenVerificationError);
    expect(calls).toHaveLength(2);
  });

  it("a kid unknown on the first fetch is not fetched twice", async () => {
    const { fetch, calls } = keySetFetch({ [JWKS_URL]: set({ kid: "k1", pem: keySetPem }) });
    const resolve = resolverFor(fetch);
    await expect(resolve({ jku: JWKS_URL, kid: "nope" })).rejects.toBeInstanceOf(TokenVerificationError);
    expect(calls).toHaveLength(1);
  });

  it("fetches again when the cached set is older than maxAgeMs, not before", async () => {
    const { fetch, calls } = keySetFetch({ [JWKS_URL]: set({ kid: "k1", pem: keySetPem }) });
    const resolve = resolverFor(fetch, { maxAgeMs: 60_000 });
    // Only `Date` is fake: the cache's age is read from it.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const fetchedAt = Date.now();
      await resolve({ jku: JWKS_URL, kid: "k1" });
      vi.setSystemTime(fetchedAt + 60_000);
      await resolve({ jku: JWKS_URL, kid: "k1" });
      expect(calls).toHaveLength(1);
      vi.setSystemTime(fetchedAt + 60_001);
      await resolve({ jku: JWKS_URL, kid: "k1" });
      expect(calls).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("does not follow a redirect from a trusted key set URL", async () => {
    const { fetch, calls } = keySetFetch({
      [JWKS_URL]: () =>
        new Response(null, { status: 302, headers: { location: "https://evil.example/jwks" } }),
    });
    const resolve = resolverFor(fetch);
    await expect(resolve({ jku: JWKS_URL, kid: "k1" })).rejects.toMatchObject({
      code: "UNEXPECTED_REDIRECT",
    });
    expect(calls).toEqual([JWKS_URL]);
  });

  it("refuses a malformed key set and a key that does not import", async () => {
    const { fetch } = keySetFetch({ [JWKS_URL]: () => Response.json({ nokeys: [] }) });
    const resolve = resolverFor(fetch);
    await expect(resolve({ jku: JWKS_URL, kid: "k1" })).rejects.toBeInstanceOf(TokenVerificationError);
    const bad = keySetFetch({
      [JWKS_URL]: set({ kid: "k1", pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----" }),
    });
    const resolve2 = resolverFor(bad.fetch);
    await expect(resolve2({ jku: JWKS_URL, kid: "k1" })).rejects.toBeInstanceOf(TokenVerificationError);
  });

  it("with verifyJwt: accepts a token node:crypto signed, refuses one signed by another key", async () => {
    const resolve = createKeySetResolver({
      http: http(globalThis.fetch.bind(globalThis)),
      trustedOrigins: new Set([fake.origin]),
    });
    const token = fake.signToken({ hello: "world" });
    await expect(verifyJwt(token, resolve)).resolves.toMatchObject({ payload: { hello: "world" } });
    // The postbox's private key: an RSA key, but not digi.me's.
    const forged = fake.signToken({ hello: "world" }, {}, fake.postboxPrivate);
    await expect(verifyJwt(forged, resolve)).rejects.toBeInstanceOf(TokenVerificationError);
    expect(fake.jwksFetches).toBeGreaterThanOrEqual(1);
  });
});
