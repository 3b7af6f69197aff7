import { describe, expect, it } from "vitest";
import { init, ServerError, TokenVerificationError, TypeValidationError } from "../src/index.ts";
import { CLAIMS } from "./support/claims.ts";
import { APPLICATION_ID, CONTRACT_ID, contractDetails, vectors } from "./support/fake-digime.ts";
import { fakeSleeps } from "./support/fake-sleeps.ts";
import { sdkFor, useFakeDigime } from "./support/use-fake-digime.ts";

const fake = useFakeDigime();

const sdk = () => sdkFor(fake);

async function authorizationCode() {
  const { url, codeVerifier } = await sdk().getAuthorizeUrl({
    contractDetails,
    callback: "https://app.example/cb",
  });
  const code = fake.consent(new URL(url).searchParams.get("code") ?? "");
  fake.requests.length = 0;
  return { code, codeVerifier };
}

describe("exchangeCodeForToken", () => {
  it("sends exactly the wire format's claims and returns the verified token as a UserAccessToken", async () => {
    const { code, codeVerifier } = await authorizationCode();
    const token = await sdk().exchangeCodeForToken({
      contractDetails,
      authorizationCode: code,
      codeVerifier,
    });
    const [seen] = fake.requests.filter((r) => r.route === "token");
    expect(Object.keys(seen?.claims ?? {})).toEqual(CLAIMS.codeGrant);
    expect(seen?.claims).toMatchObject({
      client_id: `${APPLICATION_ID}_${CONTRACT_ID}`,
      code,
      code_verifier: codeVerifier,
      grant_type: "authorization_code",
    });
    expect(token).toEqual({
      accessToken: { value: expect.stringMatching(/^at-/), expiry: expect.any(Number) },
      refreshToken: { value: expect.stringMatching(/^rt-/), expiry: expect.any(Number) },
      user: { id: "user-1" },
    });
  });

  it("keeps the answer's sub as user.id and consentid as consentid (official SDK 10 on), and only those", async () => {
    fake.tokenExtras = { sub: "user-7", consentid: "consent-9", other: "dropped" };
    try {
      const fresh = await sdk().refreshToken({ contractDetails, userAccessToken: fake.issueTokens() });
      expect(fresh.user).toEqual({ id: "user-7" });
      expect(fresh.consentid).toBe("consent-9");
      expect(Object.keys(fresh).sort()).toEqual(["accessToken", "consentid", "refreshToken", "user"]);
      fake.tokenExtras = { sub: 7, consentid: null };
      const bare = await sdk().refreshToken({ contractDetails, userAccessToken: fake.issueTokens() });
      expect(Object.keys(bare).sort()).toEqual(["accessToken", "refreshToken"]);
    } finally {
      fake.tokenExtras = { sub: "user-1" };
    }
  });

  it("a wrong verifier is the server's error, with its code", async () => {
    const { code } = await authorizationCode();
    const error = await sdk()
      .exchangeCodeForToken({ contractDetails, authorizationCode: code, codeVerifier: "A".repeat(43) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({
      status: 400,
      code: "InvalidGrant",
      reference: expect.stringMatching(/^ref-/),
    });
  });

  it("maps the vectors' response token (verified with the vectors' key set) to a UserAccessToken", async () => {
    const v = vectors.responseToken;
    const header = JSON.parse(Buffer.from(v.token.split(".")[0] ?? "", "base64url").toString("utf8"));
    const jku = new URL(header.jku);
    const fetch = (async (url: string) => {
      if (url === jku.href) return Response.json(v.keySet);
      return Response.json({ token: v.token });
    }) as unknown as typeof globalThis.fetch;
    const client = init({ applicationId: APPLICATION_ID, baseUrl: `${jku.origin}/v1.7/`, fetch });
    const token = await client.refreshToken({ contractDetails, userAccessToken: fake.issueTokens() });
    expect(token).toEqual({
      accessToken: { value: "access-token-vector", expiry: 1764418800000 },
      refreshToken: { value: "refresh-token-vector", expiry: 1767010800000 },
      user: { id: "user-vector" },
    });
  });
});

describe("refreshToken", () => {
  it("sends exactly the wire format's claims with Content-Type application/json", async () => {
    const old = fake.issueTokens();
    const fresh = await sdk().refreshToken({ contractDetails, userAccessToken: old });
    const [seen] = fake.requests.filter((r) => r.route === "token");
    expect(Object.keys(seen?.claims ?? {})).toEqual(CLAIMS.refreshGrant);
    expect(seen?.claims).toMatchObject({
      grant_type: "refresh_token",
      refresh_token: old.refreshToken.value,
    });
    expect(seen?.headers["content-type"]).toBe("application/json");
    expect(fresh.refreshToken.value).not.toBe(old.refreshToken.value);
  });

  it("a spent refresh token is a 401 InvalidToken", async () => {
    const old = fake.issueTokens();
    await sdk().refreshToken({ contractDetails, userAccessToken: old });
    const error = await sdk()
      .refreshToken({ contractDetails, userAccessToken: old })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ServerError", status: 401, code: "InvalidToken" });
  });

  it("retries a 503 and a dropped connection with a fresh nonce each time", async () => {
    fake.script("token", { status: 503, body: { error: { code: "Busy", message: "later" } } }, "drop");
    await sdk().refreshToken({ contractDetails, userAccessToken: fake.issueTokens() });
    const tokens = fake.requests.filter((r) => r.route === "token");
    expect(tokens).toHaveLength(3);
    expect(new Set(tokens.map((t) => t.claims?.nonce)).size).toBe(3);
    expect(fake.repeatedNonces).toEqual([]);
  });

  it("honours Retry-After on 429", async () => {
    fake.script("token", {
      status: 429,
      headers: { "retry-after": "1" },
      body: { error: { code: "TooMany", message: "" } },
    });
    const clock = fakeSleeps();
    try {
      const refreshed = sdk().refreshToken({ contractDetails, userAccessToken: fake.issueTokens() });
      await clock.asked(1000);
      await clock.advance(999);
      expect(fake.requests.filter((r) => r.route === "token")).toHaveLength(1);
      await clock.advance(1);
      await expect(refreshed).resolves.toMatchObject({ accessToken: expect.anything() });
      expect(fake.requests.filter((r) => r.route === "token")).toHaveLength(2);
    } finally {
      clock.restore();
    }
  });

  it("refuses an answer token whose alg is not PS512, or whose signature is forged", async () => {
    const [header, payload] = fake
      .signToken({
        access_token: { value: "x", expires_on: 1 },
        refresh_token: { value: "y", expires_on: 1 },
      })
      .split(".");
    const rs256 = `${Buffer.from(JSON.stringify({ alg: "RS256", kid: fake.kid, jku: fake.keySetUrl })).toString("base64url")}.${payload}.c2ln`;
    const forged = `${header}.${payload}.${Buffer.from("not a signature").toString("base64url")}`;
    for (const token of [rs256, forged]) {
      fake.script("token", { status: 200, body: { token } });
      const error = await sdk()
        .refreshToken({ contractDetails, userAccessToken: fake.issueTokens() })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenVerificationError);
    }
  });

  it("refuses a verified token without the token members, and an answer without a token", async () => {
    fake.script(
      "token",
      { status: 200, body: { token: fake.signToken({ access_token: "flat" }) } },
      { status: 200, body: {} },
    );
    for (let i = 0; i < 2; i++) {
      const error = await sdk()
        .refreshToken({ contractDetails, userAccessToken: fake.issueTokens() })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: "ServerError", code: "INVALID_RESPONSE" });
    }
  });

  it("PKCS#8 contract keys sign as well as PKCS#1", async () => {
    const fresh = await sdk().refreshToken({
      contractDetails: { ...contractDetails, privateKey: vectors.keys.contract.privatePkcs8 },
      userAccessToken: fake.issueTokens(),
    });
    expect(fresh.accessToken.value).toMatch(/^at-/);
  });

  it("refuses bad options before any request", async () => {
    const error = await sdk()
      .refreshToken({
        contractDetails,
        userAccessToken: { accessToken: { value: "a", expiry: "soon" } },
      } as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeValidationError);
    expect((error as TypeValidationError).issues.map((i) => i.path.join("."))).toEqual([
      "userAccessToken.accessToken.expiry",
      "userAccessToken.refreshToken",
    ]);
    expect(fake.requests).toHaveLength(0);
  });
});
