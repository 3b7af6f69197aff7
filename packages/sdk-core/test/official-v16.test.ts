/**
 * Our requests against the requests digi.me's official Node SDK 16.1.5 sent on the wire
 * (`@digime-edge/fixtures/official-v16-requests.json`): for the same call, the same method and path, the same
 * headers (names, and values where they are not per-request), the same JWT headers and claim
 * names, the same FileDescriptor payload and the same body.
 */

import recorded from "@digime-edge/fixtures/official-v16-requests.json" with { type: "json" };
import { describe, expect, it } from "vitest";
import { contractDetails, REDIRECT_URI, type SeenRequest } from "./support/fake-digime.ts";
import { sdkFor, useFakeDigime } from "./support/use-fake-digime.ts";

const fake = useFakeDigime();

interface Recorded {
  call: string;
  path: string;
  headers: Record<string, string | undefined>;
  bodyBase64: string;
}
const byCall = (call: string) =>
  (recorded.requests as unknown as Recorded[]).find((r) => r.call === call) as Recorded;

// Set by the transport, not by the SDK: fetch and got differ there, digi.me does not look.
const TRANSPORT = new Set([
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "user-agent",
  "accept-encoding",
  "accept-language",
  "sec-fetch-mode",
]);
const PER_REQUEST = new Set(["authorization", "filedescriptor"]);

function headerShape(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    // fetch's default `accept: */*` when the SDK sets none (the official library push sets none).
    if (TRANSPORT.has(name) || (name === "accept" && value === "*/*")) continue;
    out[name] = PER_REQUEST.has(name) ? "(jwt)" : value;
  }
  return out;
}

const segment = (jwt: string, i: number) =>
  JSON.parse(Buffer.from(jwt.replace(/^Bearer /, "").split(".")[i] ?? "", "base64url").toString("utf8"));

function expectSameShape(ours: SeenRequest | undefined, theirs: Recorded, body: "same" | "any" = "same") {
  expect(ours?.path).toBe(theirs.path);
  const { headers } = theirs;
  expect(headerShape(ours?.headers ?? {})).toEqual(headerShape(headers));
  for (const name of ["authorization", "filedescriptor"] as const) {
    if (!headers[name]) continue;
    const mine = String(ours?.headers[name]);
    expect(segment(mine, 0)).toEqual(segment(headers[name] ?? "", 0));
    expect(Object.keys(segment(mine, 1))).toEqual(Object.keys(segment(headers[name] ?? "", 1)));
  }
  if (body === "same") expect(ours?.body.toString("base64")).toBe(theirs.bodyBase64);
}

const contract = { contractId: contractDetails.contractId, privateKey: contractDetails.privateKey };
const libraryPush = byCall("pushData library");
const fileDescriptor = segment(libraryPush.headers.filedescriptor ?? "", 1).metadata;
const fileData = Buffer.from(libraryPush.bodyBase64, "base64");

describe("our requests have the shape of official SDK 16's", () => {
  it("getAuthorizeUrl (sign-in without a contract redirect URI), then the code exchange", async () => {
    const { url, codeVerifier } = await sdkFor(fake).getAuthorizeUrl({
      contractDetails: contract,
      callback: REDIRECT_URI,
      state: "state-vector",
    });
    expectSameShape(fake.requests[0], byCall("getAuthorizeUrl"), "any");
    expect(segment(String(fake.requests[0]?.headers.authorization), 1)).toMatchObject({
      redirect_uri: recorded.callback,
      state: "state-vector",
    });
    const code = fake.consent(new URL(url).searchParams.get("code") ?? "");
    await sdkFor(fake).exchangeCodeForToken({
      contractDetails: contract,
      authorizationCode: code,
      codeVerifier,
    });
    const exchange = fake.requests.find((r) => r.route === "token");
    expectSameShape(exchange, byCall("exchangeCodeForToken"));
  });

  it("pushData library: the same FileDescriptor payload, headers and raw body", async () => {
    await sdkFor(fake).pushData({
      type: "library",
      contractDetails: contract,
      userAccessToken: fake.issueTokens(),
      data: { fileData, fileDescriptor },
    });
    const [ours] = fake.requests;
    // The descriptor JWT has no nonce: for the same key and descriptor its payload is byte for byte theirs.
    expect(String(ours?.headers.filedescriptor).split(".")[1]).toBe(
      (libraryPush.headers.filedescriptor ?? "").split(".")[1],
    );
    // Theirs went chunked (a Buffer piped), ours with its length: both are the wire format.
    expectSameShape(ours, libraryPush);
  });

  it("pushData provider", async () => {
    const theirs = byCall("pushData provider");
    await sdkFor(fake).pushData({
      type: "provider",
      contractDetails: contract,
      userAccessToken: fake.issueTokens(),
      data: JSON.parse(Buffer.from(theirs.bodyBase64, "base64").toString("utf8")),
      standard: "fhir",
      version: "stu3",
      accountId: theirs.headers.accountid as string,
    });
    expectSameShape(fake.requests[0], theirs);
  });

  it("readAccounts, and its answer as the official SDK's stand-in gave it", async () => {
    fake.accounts = recorded.answers.accounts;
    try {
      const { accounts } = await sdkFor(fake).readAccounts({
        contractDetails: contract,
        userAccessToken: fake.issueTokens(),
      });
      expect(accounts).toEqual(recorded.answers.accounts);
    } finally {
      fake.accounts = recorded.answers.accounts.slice();
    }
    expectSameShape(fake.requests[0], byCall("readAccounts"));
  });

  it("a push refused with 401: the same three requests (push, refresh, the whole body again)", async () => {
    const token = fake.issueTokens();
    fake.expire(token.accessToken.value);
    await sdkFor(fake).pushData({
      type: "library",
      contractDetails: contract,
      userAccessToken: token,
      data: { fileData, fileDescriptor },
    });
    const routes = fake.requests.filter((r) => r.route !== "jwks");
    expect(routes).toHaveLength(3);
    expectSameShape(routes[0], byCall("pushData library (stale token, answered 401)"));
    expectSameShape(routes[1], byCall("refresh after 401"));
    expectSameShape(routes[2], byCall("pushData library again with the new token"));
  });

  it("deleteUser", async () => {
    await sdkFor(fake).deleteUser({ contractDetails: contract, userAccessToken: fake.issueTokens() });
    expectSameShape(fake.requests[0], byCall("deleteUser"));
  });
});
