import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { init, SDK_NAME, SDK_VERSION, TokenVerificationError, TypeValidationError } from "../src/index.ts";
import { CLAIMS } from "./support/claims.ts";
import {
  APPLICATION_ID,
  CONTRACT_ID,
  contractDetails,
  FakeDigime,
  REDIRECT_URI,
} from "./support/fake-digime.ts";
import { sdkFor, useFakeDigime } from "./support/use-fake-digime.ts";

const fake = useFakeDigime();

const onboardUrl = "https://onboard.example/apps/saas";
const sdk = () => sdkFor(fake, { onboardUrl });

describe("getAuthorizeUrl", () => {
  it("posts the wire format's claims and body, and returns the onboarding URL", async () => {
    const result = await sdk().getAuthorizeUrl({
      contractDetails,
      callback: "https://app.example/failed?x=1&y=2",
    });
    const [seen] = fake.requests;
    expect(seen?.route).toBe("authorize");
    expect(seen?.jwtHeader).toEqual({ alg: "PS512", typ: "JWT" });
    expect(Object.keys(seen?.claims ?? {})).toEqual(CLAIMS.authorize);
    expect(seen?.claims).toMatchObject({
      client_id: `${APPLICATION_ID}_${CONTRACT_ID}`,
      code_challenge: createHash("sha256").update(result.codeVerifier).digest("base64url"),
      code_challenge_method: "S256",
      redirect_uri: REDIRECT_URI,
      response_mode: "query",
      response_type: "code",
    });
    expect(seen?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(seen?.body.toString("utf8") ?? "")).toEqual({
      agent: { sdk: { name: SDK_NAME, version: SDK_VERSION, meta: { runtime: "node" } } },
    });
    const url = new URL(result.url);
    expect(`${url.origin}${url.pathname}`).toBe("https://onboard.example/apps/saas/authorize");
    expect(url.searchParams.get("code")).toMatch(/^pre-/);
    expect(url.searchParams.get("callback")).toBe("https://app.example/failed?x=1&y=2");
    expect(url.searchParams.has("service")).toBe(false);
    expect(result.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.session).toMatchObject({
      expiry: expect.any(Number),
      key: expect.stringMatching(/^session-/),
    });
    // The code works with the verifier: the whole authorization round trip.
    const code = fake.consent(url.searchParams.get("code") ?? "");
    const token = await sdk().exchangeCodeForToken({
      contractDetails,
      authorizationCode: code,
      codeVerifier: result.codeVerifier,
    });
    expect(token.accessToken.value).toMatch(/^at-/);
  });

  it("adds state, access_token, service and actions when given", async () => {
    const userAccessToken = fake.issueTokens();
    const result = await sdk().getAuthorizeUrl({
      contractDetails,
      callback: "https://app.example/cb",
      state: "s-1",
      serviceId: 16,
      userAccessToken,
      sessionOptions: { pull: { scope: { timeRanges: [{ last: "1d" }] } } },
    });
    const [seen] = fake.requests;
    expect(seen?.claims).toMatchObject({ state: "s-1", access_token: userAccessToken.accessToken.value });
    expect(JSON.parse(seen?.body.toString("utf8") ?? "").actions).toEqual({
      pull: { scope: { timeRanges: [{ last: "1d" }] } },
    });
    expect(new URL(result.url).searchParams.get("service")).toBe("16");
  });

  it("a fresh verifier every time", async () => {
    const a = await sdk().getAuthorizeUrl({ contractDetails, callback: "https://app.example/cb" });
    const b = await sdk().getAuthorizeUrl({ contractDetails, callback: "https://app.example/cb" });
    expect(a.codeVerifier).not.toBe(b.codeVerifier);
  });

  it("refuses an answer token signed by another key", async () => {
    // The postbox's private key: an RSA key, but not digi.me's.
    const forger = await FakeDigime.start({ signingKey: fake.postboxPrivate });
    // The key set it serves is its own, but the client only trusts `fake`'s origin for key sets.
    forger.jku = fake.keySetUrl;
    try {
      const client = init({
        applicationId: APPLICATION_ID,
        baseUrl: forger.baseUrl,
        trustedKeyOrigins: [fake.origin],
      });
      const error = await client
        .getAuthorizeUrl({ contractDetails, callback: "https://app.example/cb" })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenVerificationError);
      expect(error).toMatchObject({ code: "TOKEN_VERIFICATION" });
    } finally {
      await forger.close();
    }
  });

  it("refuses an answer whose key set is on a foreign origin", async () => {
    const foreign = await FakeDigime.start();
    fake.jku = foreign.keySetUrl;
    try {
      const error = await sdk()
        .getAuthorizeUrl({ contractDetails, callback: "https://app.example/cb" })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: "TokenVerificationError", code: "UNTRUSTED_KEY_SET" });
      expect(foreign.jwksFetches).toBe(0);
    } finally {
      fake.jku = undefined;
      await foreign.close();
    }
  });

  it("refuses bad options before any request", async () => {
    for (const [options, path] of [
      [{ contractDetails, callback: "not a url" }, "callback"],
      [{ contractDetails, callback: "javascript:alert(1)" }, "callback"],
      [
        { contractDetails: { ...contractDetails, contractId: "a/b" }, callback: "https://a.example" },
        "contractDetails.contractId",
      ],
      [
        { contractDetails: { ...contractDetails, redirectUri: "relative" }, callback: "https://a.example" },
        "contractDetails.redirectUri",
      ],
      [{ contractDetails, callback: "https://a.example", state: 5 }, "state"],
      // Valid objects that do not serialize: a BigInt, a cycle.
      [{ contractDetails, callback: "https://a.example", sessionOptions: { n: 1n } }, "sessionOptions"],
      [{ contractDetails, callback: "https://a.example", sessionOptions: cyclic() }, "sessionOptions"],
    ] as const) {
      const error = await sdk()
        .getAuthorizeUrl(options as never)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TypeValidationError);
      expect((error as TypeValidationError).issues.map((i) => i.path.join("."))).toContain(path);
    }
    expect(fake.requests).toHaveLength(0);
  });
});

describe("getAuthorizeUrl, the sign-in of official SDK 10 on (no contractDetails.redirectUri)", () => {
  const contract = { contractId: contractDetails.contractId, privateKey: contractDetails.privateKey };

  it("signs the callback as redirect_uri and leaves it out of the onboarding URL; sourceType defaults to pull", async () => {
    const result = await sdk().getAuthorizeUrl({
      contractDetails: contract,
      callback: REDIRECT_URI,
      state: "st",
    });
    const [seen] = fake.requests;
    expect(seen?.claims).toMatchObject({ redirect_uri: REDIRECT_URI, state: "st" });
    const url = new URL(result.url);
    expect([...url.searchParams.keys()]).toEqual(["code", "sourceType"]);
    expect(url.searchParams.get("sourceType")).toBe("pull");
  });

  it("writes every option in the spec's order and encoding (sourcesScope encoded twice)", async () => {
    const result = await sdk().getAuthorizeUrl({
      contractDetails: contract,
      callback: REDIRECT_URI,
      state: "st",
      sourceType: "push",
      serviceId: 16,
      sampleData: { dataSet: "default set", autoOnboard: false },
      locale: "pt-BR",
      includeSampleDataOnlySources: true,
      triggerQuery: false,
      sourcesScope: { serviceTypes: [{ id: 1 }] },
    });
    const code = new URL(result.url).searchParams.get("code");
    // Written by hand from wire-format-import.md: URLSearchParams (form) encoding, and the JSON of
    // sourcesScope through encodeURIComponent first, so that its `%` become `%25`.
    expect(result.url).toBe(
      `${onboardUrl}/authorize?code=${code}&sourceType=push&service=16&sampleDataSet=default+set` +
        "&sampleDataAutoOnboard=false&lng=pt-BR&includeSampleDataOnlySources=true&triggerQuery=false" +
        "&sourcesScope=%257B%2522serviceTypes%2522%253A%255B%257B%2522id%2522%253A1%257D%255D%257D",
    );
    expect(
      JSON.parse(decodeURIComponent(new URL(result.url).searchParams.get("sourcesScope") ?? "")),
    ).toEqual({
      serviceTypes: [{ id: 1 }],
    });
  });

  it("requires a non-empty state, before any request", async () => {
    for (const state of [undefined, ""]) {
      const error = await sdk()
        .getAuthorizeUrl({ contractDetails: contract, callback: REDIRECT_URI, state } as never)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TypeValidationError);
      expect((error as TypeValidationError).issues.map((i) => i.path.join("."))).toEqual(["state"]);
    }
    expect(fake.requests).toHaveLength(0);
  });

  it("the postbox sign-in (with redirectUri) keeps its URL: code, callback, service; new options only when given", async () => {
    const old = await sdk().getAuthorizeUrl({
      contractDetails,
      callback: "https://app.example/cb",
      serviceId: 3,
    });
    expect([...new URL(old.url).searchParams.keys()]).toEqual(["code", "callback", "service"]);
    const more = await sdk().getAuthorizeUrl({
      contractDetails,
      callback: "https://app.example/cb",
      sourceType: "push",
      locale: "en",
    });
    expect([...new URL(more.url).searchParams.keys()]).toEqual(["code", "callback", "sourceType", "lng"]);
  });

  it("refuses bad new options, naming them", async () => {
    for (const [extra, path] of [
      [{ sourceType: "both" }, "sourceType"],
      [{ sampleData: { autoOnboard: "yes" } }, "sampleData.autoOnboard"],
      [{ sampleData: { dataSet: "" } }, "sampleData.dataSet"],
      [{ locale: "" }, "locale"],
      [{ includeSampleDataOnlySources: 1 }, "includeSampleDataOnlySources"],
      [{ triggerQuery: "false" }, "triggerQuery"],
      [{ sourcesScope: "x" }, "sourcesScope"],
      [{ sourcesScope: cyclic() }, "sourcesScope"],
    ] as const) {
      const error = await sdk()
        .getAuthorizeUrl({ contractDetails: contract, callback: REDIRECT_URI, state: "s", ...extra } as never)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TypeValidationError);
      expect((error as TypeValidationError).issues.map((i) => i.path.join("."))).toContain(path);
    }
    expect(fake.requests).toHaveLength(0);
  });
});

function cyclic(): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  o.self = o;
  return o;
}
