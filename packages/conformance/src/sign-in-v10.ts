/**
 * The sign-in of the official SDK from version 10 against a fake digi.me: `getAuthorizeUrl` without
 * a contract `redirectUri` (and with one, as before), and the token answer's `sub` and `consentid`.
 */
import type * as sdk from "@digime-edge/sdk-core";
import { assert, deepEqual, equal, type TestFn } from "./harness.ts";
import {
  bearerOf,
  jsonResponse,
  type SeenRequest,
  splitJwt,
  webCryptoSignPs512,
  webCryptoVerifyPs512,
} from "./util.ts";
import {
  IMPORT_CONTRACT as CONTRACT,
  keys,
  tokenServer,
  VECTOR_BASE,
  VECTOR_CONTRACT,
  VECTOR_TOKEN,
  vectorClient,
  vectors,
} from "./vectors.ts";

/** A response token signed by the vectors' digi.me key (with the vector token's header and `jku`). */
const digimeToken = (payload: Record<string, unknown>) =>
  webCryptoSignPs512(splitJwt(vectors.responseToken.token).header, payload, keys.digime.privatePkcs8);

/** The sign-in cases (no network). */
export function signInV10Cases(test: TestFn) {
  test("getAuthorizeUrl v10 (no redirectUri): claim = callback, URL params in the spec's order, sourcesScope double-encoded", async () => {
    const preauth = await digimeToken({ preauthorization_code: "pre-vector" });
    const fake = tokenServer(preauth, vectors.responseToken.keySet, () =>
      jsonResponse({ token: preauth, session: { expiry: 1, key: "k" } }),
    );
    const scope = { serviceGroups: [{ id: 4 }], note: "a b&c=d/é!" };
    const { url } = await vectorClient(fake.fetch, {
      onboardUrl: "https://onboard.example/apps/",
    }).getAuthorizeUrl({
      contractDetails: CONTRACT,
      callback: "https://app.example/return",
      state: "state-vector",
      serviceId: 16,
      sourceType: "push",
      sampleData: { dataSet: "default", autoOnboard: true },
      locale: "fr",
      includeSampleDataOnlySources: true,
      triggerQuery: false,
      sourcesScope: scope,
    });
    const parsed = new URL(url);
    equal(`${parsed.origin}${parsed.pathname}`, "https://onboard.example/apps/authorize", "onboarding page");
    const params = [...parsed.searchParams];
    deepEqual(
      params.map(([k]) => k),
      [
        "code",
        "sourceType",
        "service",
        "sampleDataSet",
        "sampleDataAutoOnboard",
        "lng",
        "includeSampleDataOnlySources",
        "triggerQuery",
        "sourcesScope",
      ],
      "parameters, in order (no callback)",
    );
    deepEqual(
      params.slice(0, -1).map(([, v]) => v),
      ["pre-vector", "push", "16", "default", "true", "fr", "true", "false"],
      "values",
    );
    const once = encodeURIComponent(JSON.stringify(scope));
    equal(
      parsed.searchParams.get("sourcesScope"),
      once,
      "sourcesScope: encodeURIComponent(JSON), as a value",
    );
    const raw =
      parsed.search
        .split(/[?&]/)
        .find((p) => p.startsWith("sourcesScope="))
        ?.slice(13) ?? "";
    assert(raw.startsWith("%257B"), "sourcesScope is encoded twice on the wire");
    deepEqual(
      JSON.parse(decodeURIComponent(decodeURIComponent(raw.replace(/\+/g, " ")))),
      scope,
      "raw value",
    );
    deepEqual(
      JSON.parse(decodeURIComponent(parsed.searchParams.get("sourcesScope") ?? "")),
      scope,
      "decodes to the scope",
    );
    const sent = fake.seen.find((r) => r.url === `${VECTOR_BASE}oauth/authorize`) as SeenRequest;
    const claims = splitJwt(bearerOf(sent)).payload;
    equal(claims.redirect_uri, "https://app.example/return", "redirect_uri claim = callback");
    equal(claims.state, "state-vector", "state");
    assert(await webCryptoVerifyPs512(bearerOf(sent), keys.contract.publicSpki), "the JWT verifies");
    const minimal = await vectorClient(fake.fetch).getAuthorizeUrl({
      contractDetails: CONTRACT,
      callback: "https://app.example/return",
      state: "s",
    });
    deepEqual(
      [...new URL(minimal.url).searchParams],
      [
        ["code", "pre-vector"],
        ["sourceType", "pull"],
      ],
      "defaults",
    );
    const postbox = await vectorClient(fake.fetch).getAuthorizeUrl({
      contractDetails: VECTOR_CONTRACT,
      callback: "https://app.example/fail",
    });
    deepEqual(
      [...new URL(postbox.url).searchParams].map(([k]) => k),
      ["code", "callback"],
      "with redirectUri (postbox): callback kept, no sourceType",
    );
    const last = fake.seen.filter((r) => r.url === `${VECTOR_BASE}oauth/authorize`).at(-1) as SeenRequest;
    equal(
      splitJwt(bearerOf(last)).payload.redirect_uri,
      VECTOR_CONTRACT.redirectUri,
      "postbox: claim = redirectUri",
    );
  });

  test("tokens keep user.id (sub) and consentid when the answer has them, and add neither otherwise", async () => {
    const payload = vectors.responseToken.payload;
    const withBoth = await digimeToken({ ...payload, consentid: "consent-vector" });
    const { sub: _, ...bare } = payload;
    const without = await digimeToken(bare);
    const exchange = (token: string) =>
      vectorClient(tokenServer(token, vectors.responseToken.keySet).fetch).exchangeCodeForToken({
        contractDetails: CONTRACT,
        authorizationCode: "code-vector",
        codeVerifier: vectors.pkce.codeVerifier,
      });
    const kept = (await exchange(withBoth)) as sdk.UserAccessToken & Record<string, unknown>;
    deepEqual(kept.user, { id: payload.sub }, "user");
    equal(kept.consentid, "consent-vector", "consentid");
    deepEqual(kept.accessToken, VECTOR_TOKEN.accessToken, "accessToken");
    const plainToken = (await exchange(without)) as unknown as Record<string, unknown>;
    assert(!("user" in plainToken) && !("consentid" in plainToken), "neither user nor consentid");
    deepEqual(plainToken, VECTOR_TOKEN, "the token");
  });
}
