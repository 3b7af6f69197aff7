/**
 * Attacks on the answers sdk-core trusts: response tokens whose key set (`jku`) is somewhere else,
 * whose `jku` carries credentials or another scheme, whose `kid` names the right key but whose
 * signature is an attacker's, whose `alg` is `none`, HS512 keyed with the public key, RS512 or
 * PS256; key sets and token endpoints that redirect. Every one ends in a typed error (mostly
 * `TokenVerificationError`), and no request ever reaches an origin the SDK does not trust: a
 * second server on another 127.0.0.1 port plays the attacker and records everything it receives.
 */
import { constants, createHmac, type KeyObject, sign } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type ContractDetails,
  init,
  ServerError,
  TokenVerificationError,
  type UserAccessToken,
} from "@digime-edge/sdk-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { rsaPair } from "./support/keys.ts";
import { errorTexts } from "./support/secrets.ts";

const legit = rsaPair(); // digi.me's signing key
const attacker = rsaPair();
const contract = rsaPair();
const contractDetails: ContractDetails = {
  contractId: "attack-contract",
  privateKey: contract.privatePem,
  redirectUri: "https://app.example/callback",
};
const userAccessToken: UserAccessToken = {
  accessToken: { value: "victim-access", expiry: Date.now() + 60_000 },
  refreshToken: { value: "victim-refresh", expiry: Date.now() + 60_000 },
};

interface Recorder {
  server: Server;
  origin: string;
  requests: { method: string; path: string; authorization?: string }[];
}

async function listen(
  handle: (
    req: IncomingMessage,
    path: string,
  ) => { status: number; body?: unknown; headers?: Record<string, string> },
): Promise<Recorder> {
  const recorder: Recorder = { server: undefined as unknown as Server, origin: "", requests: [] };
  recorder.server = createServer((req, res) => {
    const path = req.url ?? "/";
    recorder.requests.push({ method: req.method ?? "", path, authorization: req.headers.authorization });
    req.resume();
    req.on("end", () => {
      const { status, body, headers = {} } = handle(req, path);
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(body === undefined ? "" : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => recorder.server.listen(0, "127.0.0.1", resolve));
  recorder.origin = `http://127.0.0.1:${(recorder.server.address() as AddressInfo).port}`;
  return recorder;
}

const close = (r: Recorder | undefined) =>
  new Promise<void>((resolve) => {
    if (!r) return resolve();
    r.server.close(() => resolve());
    r.server.closeAllConnections();
  });

let digime: Recorder;
let evil: Recorder;
/** The token the fake digi.me responds with, set by each test. */
let answerToken = "";
/** Where the fake digi.me's token endpoint redirects to, when set. */
let tokenRedirect: string | undefined;

beforeAll(async () => {
  evil = await listen(() => ({ status: 200, body: { keys: [{ kid: "k1", pem: attacker.publicPem }] } }));
  digime = await listen((_req, path) => {
    if (path === "/v1.7/jwks/oauth")
      return { status: 200, body: { keys: [{ kid: "k1", pem: legit.publicPem }] } };
    if (path === "/v1.7/jwks/moved") return { status: 302, headers: { location: `${evil.origin}/jwks` } };
    if (path === "/v1.7/oauth/token" && tokenRedirect)
      return { status: 307, headers: { location: tokenRedirect } };
    if (path === "/v1.7/oauth/token") return { status: 200, body: { token: answerToken } };
    if (path === "/v1.7/oauth/authorize")
      return {
        status: 200,
        body: { token: answerToken, session: { expiry: Date.now() + 60_000, key: "s" } },
      };
    return { status: 404, body: { error: { code: "NotFound", message: "no" } } };
  });
});
afterAll(async () => {
  // Whatever the tests did, the attacker's server never heard from the SDK.
  expect(evil?.requests ?? []).toEqual([]);
  await close(digime);
  await close(evil);
});
beforeEach(() => {
  digime.requests.length = 0;
  tokenRedirect = undefined;
});

// --- Tokens, signed here with node:crypto ---------------------------------------------------------

const b64url = (b: string | Uint8Array) => Buffer.from(b).toString("base64url");
type Signer = (input: string) => string;
const ps512 =
  (key: KeyObject, saltLength = 64): Signer =>
  (input) =>
    b64url(sign("sha512", Buffer.from(input), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }));
const ps256: Signer = (input) =>
  b64url(
    sign("sha256", Buffer.from(input), {
      key: legit.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    }),
  );
const rs512: Signer = (input) => b64url(sign("sha512", Buffer.from(input), legit.privateKey));
const hmac =
  (hash: "sha256" | "sha512", secret: string): Signer =>
  (input) =>
    b64url(createHmac(hash, secret).update(input).digest());
const empty: Signer = () => "";
const junk: Signer = () => b64url("not a signature");

const PAYLOAD = {
  access_token: { value: "attacker-access", expires_on: Date.now() + 60_000 },
  refresh_token: { value: "attacker-refresh", expires_on: Date.now() + 60_000 },
  preauthorization_code: "attacker-code",
  sub: "victim",
};

function token(header: Record<string, unknown>, signer: Signer, payload: unknown = PAYLOAD): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${signer(input)}`;
}

const jwks = () => `${digime.origin}/v1.7/jwks/oauth`;

/** A fresh SDK (its own key set cache) whose every request is recorded. */
function client(extra: { trustedKeyOrigins?: string[] } = {}) {
  const urls: string[] = [];
  const sdk = init({
    applicationId: "attack-app",
    baseUrl: `${digime.origin}/v1.7/`,
    fetch: (input, init) => {
      urls.push(input instanceof Request ? input.url : String(input));
      return fetch(input, init);
    },
    retry: false,
    ...extra,
  });
  return { sdk, urls };
}

const OPERATIONS = {
  refreshToken: (sdk: ReturnType<typeof init>) => sdk.refreshToken({ contractDetails, userAccessToken }),
  exchangeCodeForToken: (sdk: ReturnType<typeof init>) =>
    sdk.exchangeCodeForToken({ contractDetails, authorizationCode: "code", codeVerifier: "v".repeat(43) }),
  getAuthorizeUrl: (sdk: ReturnType<typeof init>) =>
    sdk.getAuthorizeUrl({ contractDetails, callback: "https://app.example/failed", userAccessToken }),
};

/** Runs `operation` with the fake digi.me responding with `answer`; returns the error and every URL fetched. */
async function attempt(answer: string, operation: keyof typeof OPERATIONS = "refreshToken", extra = {}) {
  answerToken = answer;
  const { sdk, urls } = client(extra);
  const error = await OPERATIONS[operation](sdk).then(
    (value) => ({ resolved: value }),
    (e: unknown) => e,
  );
  for (const url of urls) expect(new URL(url).origin, "a request to an untrusted origin").toBe(digime.origin);
  const keySetFetches = digime.requests.filter((r) => r.path.startsWith("/v1.7/jwks")).length;
  return { error, urls, keySetFetches };
}

function expectRefused(error: unknown, code: string) {
  expect(error).toBeInstanceOf(TokenVerificationError);
  expect(error).toMatchObject({ code });
  // The victim's tokens never appear in the refusal.
  for (const text of errorTexts(error)) {
    expect(text).not.toContain("victim-access");
    expect(text).not.toContain("victim-refresh");
  }
}

describe("the control: a token digi.me signed, with its own key set", () => {
  it.each(Object.keys(OPERATIONS) as (keyof typeof OPERATIONS)[])("%s verifies it", async (operation) => {
    const { error, keySetFetches } = await attempt(
      token({ alg: "PS512", typ: "JWT", kid: "k1", jku: jwks() }, ps512(legit.privateKey)),
      operation,
    );
    expect(error).toHaveProperty("resolved");
    expect(keySetFetches).toBe(1);
  });
});

describe("token sets from foreign key sets (jku)", () => {
  it.each(Object.keys(OPERATIONS) as (keyof typeof OPERATIONS)[])(
    "%s: a token signed by the attacker, jku on the attacker's origin: refused, nothing fetched",
    async (operation) => {
      const { error, keySetFetches } = await attempt(
        token({ alg: "PS512", kid: "k1", jku: `${evil.origin}/jwks` }, ps512(attacker.privateKey)),
        operation,
      );
      expectRefused(error, "UNTRUSTED_KEY_SET");
      expect(keySetFetches).toBe(0);
    },
  );

  const tricks = (): [string, string][] => {
    const port = new URL(digime.origin).port;
    const evilPort = new URL(evil.origin).port;
    return [
      ["credentials in the jku", `http://user:pass@127.0.0.1:${port}/v1.7/jwks/oauth`],
      ["the trusted origin as userinfo", `http://127.0.0.1:${port}@127.0.0.1:${evilPort}/jwks`],
      ["https instead of http", `https://127.0.0.1:${port}/v1.7/jwks/oauth`],
      ["another host name for the same server", `http://localhost:${port}/v1.7/jwks/oauth`],
      ["an IPv6-mapped address", `http://[::ffff:127.0.0.1]:${port}/v1.7/jwks/oauth`],
      ["the trusted origin after a fragment", `${evil.origin}/jwks#@127.0.0.1:${port}`],
      ["the trusted host as a subdomain", `http://127.0.0.1.evil.test:${port}/jwks`],
      ["a scheme-relative URL", `//127.0.0.1:${evilPort}/jwks`],
      ["a relative path", "/v1.7/jwks/oauth"],
      ["a file URL", "file:///etc/passwd"],
      [
        "a data URL",
        `data:application/json,${encodeURIComponent(JSON.stringify({ keys: [{ kid: "k1", pem: attacker.publicPem }] }))}`,
      ],
      ["a javascript URL", "javascript:alert(1)"],
      ["an empty jku", ""],
    ];
  };
  it("every trick refuses before any key set is fetched", async () => {
    for (const [what, jku] of tricks()) {
      const { error, keySetFetches } = await attempt(
        token({ alg: "PS512", kid: "k1", jku }, ps512(attacker.privateKey)),
      );
      expect(error, what).toBeInstanceOf(TokenVerificationError);
      expect((error as TokenVerificationError).code, what).toBe("UNTRUSTED_KEY_SET");
      expect(keySetFetches, what).toBe(0);
    }
  });

  it("no jku at all: refused", async () => {
    const { error } = await attempt(token({ alg: "PS512", kid: "k1" }, ps512(legit.privateKey)));
    expectRefused(error, "UNTRUSTED_KEY_SET");
  });

  it("http trusted, https named (and the reverse): a scheme is part of the origin", async () => {
    const https = jwks().replace("http:", "https:");
    const a = await attempt(token({ alg: "PS512", kid: "k1", jku: https }, ps512(legit.privateKey)));
    expectRefused(a.error, "UNTRUSTED_KEY_SET");
    const b = await attempt(
      token({ alg: "PS512", kid: "k1", jku: jwks() }, ps512(legit.privateKey)),
      "refreshToken",
      {
        trustedKeyOrigins: [digime.origin.replace("http:", "https:")],
      },
    );
    expectRefused(b.error, "UNTRUSTED_KEY_SET");
    expect(a.keySetFetches + b.keySetFetches).toBe(0);
  });

  it("a trusted key set that redirects to the attacker: not followed", async () => {
    const { error, urls } = await attempt(
      token({ alg: "PS512", kid: "k1", jku: `${digime.origin}/v1.7/jwks/moved` }, ps512(attacker.privateKey)),
    );
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ code: "UNEXPECTED_REDIRECT", status: 302 });
    expect(urls.some((u) => u.startsWith(evil.origin))).toBe(false);
  });

  it("a token endpoint that redirects to the attacker: the signed request is not sent there", async () => {
    tokenRedirect = `${evil.origin}/steal`;
    const { error } = await attempt("unused");
    expect(error).toMatchObject({ code: "UNEXPECTED_REDIRECT", status: 307 });
  });
});

describe("kid confusion", () => {
  it("the right kid, the attacker's key: the signature does not verify", async () => {
    const { error, keySetFetches } = await attempt(
      token({ alg: "PS512", kid: "k1", jku: jwks() }, ps512(attacker.privateKey)),
    );
    expectRefused(error, "TOKEN_VERIFICATION");
    expect((error as Error).message).toMatch(/signature does not verify/);
    expect(keySetFetches).toBe(1);
  });

  it("a header carrying the attacker's own key (jwk, x5u): ignored, the trusted key decides", async () => {
    const jwk = attacker.publicKey.export({ format: "jwk" });
    const { error } = await attempt(
      token(
        { alg: "PS512", kid: "k1", jku: jwks(), jwk, x5u: `${evil.origin}/cert` },
        ps512(attacker.privateKey),
      ),
    );
    expectRefused(error, "TOKEN_VERIFICATION");
  });

  it.each(["k9", "__proto__", "constructor", "toString", ""])(
    "kid %j not in the set: refused, the set fetched at most twice",
    async (kid) => {
      const { error, keySetFetches } = await attempt(
        token({ alg: "PS512", kid, jku: jwks() }, ps512(legit.privateKey)),
      );
      expectRefused(error, "TOKEN_VERIFICATION");
      expect(keySetFetches).toBeLessThanOrEqual(2);
    },
  );

  it("the payload changed after signing: refused", async () => {
    const good = token({ alg: "PS512", kid: "k1", jku: jwks() }, ps512(legit.privateKey));
    const [header, , signature] = good.split(".");
    const forged = `${header}.${b64url(JSON.stringify({ ...PAYLOAD, access_token: { value: "swapped", expires_on: 1 } }))}.${signature}`;
    expectRefused((await attempt(forged)).error, "TOKEN_VERIFICATION");
  });
});

describe("alg confusion: refused before any key set is fetched", () => {
  const cases: [string, Record<string, unknown>, Signer][] = [
    ["none, no signature", { alg: "none" }, empty],
    ["none, with a signature", { alg: "none" }, junk],
    ["None", { alg: "None" }, junk],
    ["HS512 keyed with the public key (PKCS#1 PEM)", { alg: "HS512" }, hmac("sha512", legit.publicPem)],
    ["HS512 keyed with the public key (SPKI PEM)", { alg: "HS512" }, hmac("sha512", legit.publicSpkiPem)],
    ["HS256 keyed with the public key", { alg: "HS256" }, hmac("sha256", legit.publicPem)],
    ["RS512 with digi.me's own key", { alg: "RS512" }, rs512],
    ["PS256 with digi.me's own key", { alg: "PS256" }, ps256],
    ["ES512", { alg: "ES512" }, junk],
    ["an unknown critical header", { alg: "PS512", crit: ["exp"], exp: 1 }, ps512(legit.privateKey)],
  ];
  it.each(cases)("%s", async (_what, header, signer) => {
    const { error, keySetFetches } = await attempt(token({ kid: "k1", jku: jwks(), ...header }, signer));
    expect(error).toBeInstanceOf(TokenVerificationError);
    expect(keySetFetches).toBe(0);
  });

  it("PS512 with digi.me's key but a 32-byte salt (not the wire format's 64): refused", async () => {
    const { error } = await attempt(
      token({ alg: "PS512", kid: "k1", jku: jwks() }, ps512(legit.privateKey, 32)),
    );
    expectRefused(error, "TOKEN_VERIFICATION");
  });

  it.each([
    ["four segments", () => `${token({ alg: "PS512", kid: "k1", jku: jwks() }, ps512(legit.privateKey))}.x`],
    ["a header that is not JSON", () => `${b64url("{alg")}.${b64url("{}")}.${b64url("s")}`],
    ["a header that is an array", () => `${b64url("[]")}.${b64url("{}")}.${b64url("s")}`],
    ["padding in a segment", () => `${b64url('{"alg":"PS512"}')}=.${b64url("{}")}.${b64url("s")}`],
  ])("malformed: %s", async (_what, make) => {
    const { error, keySetFetches } = await attempt(make());
    expect(error).toBeInstanceOf(TokenVerificationError);
    expect(keySetFetches).toBe(0);
  });
});

describe("the control for the recorder: trusting the attacker's origin is what it takes", () => {
  it("with the attacker's origin in trustedKeyOrigins, its key set is fetched and its token accepted", async () => {
    answerToken = token({ alg: "PS512", kid: "k1", jku: `${evil.origin}/jwks` }, ps512(attacker.privateKey));
    const { sdk } = client({ trustedKeyOrigins: [digime.origin, evil.origin] });
    const tokens = await sdk.refreshToken({ contractDetails, userAccessToken });
    expect(tokens.accessToken.value).toBe("attacker-access");
    expect(evil.requests.map((r) => r.path)).toEqual(["/jwks"]);
    evil.requests.length = 0; // afterAll checks that nothing else ever reached it
  });
});
