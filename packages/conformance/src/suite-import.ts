/**
 * The import API's cases (official SDK 10 on): `pushData` into the library and to a provider,
 * `readAccounts`, `deleteUser`, the version-10 sign-in, tokens and errors. First against a fake
 * digi.me whose requests are checked with WebCrypto here; then against the local server, whose host
 * checks every request it recorded with node:crypto and jose (runners/check-imports.mjs).
 */
import official16 from "@digime-edge/fixtures/official-v16-requests.json" with { type: "json" };
import * as sdk from "@digime-edge/sdk-core";
import {
  FHIR_BUNDLE,
  FHIR_VERSIONS,
  PUSHES,
  type PushCase,
  patternBytes,
  patternStream,
  pushDescriptor,
} from "./data.ts";
import { assert, bytesEqual, deepEqual, equal, rejects } from "./harness.ts";
import {
  fromBase64Url,
  fromUtf8,
  jsonResponse,
  type SeenRequest,
  splitJwt,
  webCryptoSignPs512,
  webCryptoVerifyPs512,
} from "./util.ts";
import {
  DESCRIPTOR,
  expireTokens,
  keys,
  type Target,
  tokenServer,
  VECTOR_ANSWER_TOKEN,
  VECTOR_BASE,
  VECTOR_CONTRACT,
  VECTOR_TOKEN,
  vectorClient,
  vectors,
} from "./vectors.ts";

type Test = (name: string, fn: () => unknown) => void;

/** The import contract of the fake digi.me: no `redirectUri` (official SDK 10 on). */
const CONTRACT = { contractId: VECTOR_CONTRACT.contractId, privateKey: keys.contract.privatePkcs8 };
const IMPORT_URL = `${VECTOR_BASE}permission-access/import`;
/** An account as the stand-in server answered the official SDK 16 (its recorded requests). */
const ACCOUNT = official16.answers.accounts[0] as (typeof official16.answers.accounts)[number];
const STALE = {
  accessToken: { value: "stale-access", expiry: 1 },
  refreshToken: { value: "stale-refresh", expiry: 2 },
};
const BEARER_CLAIMS = ["access_token", "client_id", "nonce", "timestamp"];

const bearerOf = (req: SeenRequest) => (req.headers.get("authorization") ?? "").replace(/^Bearer /, "");

/**
 * Checks a request's `Authorization` as digi.me would, with WebCrypto: `Bearer`, PS512 (salt 64)
 * with the contract's key, exactly the import API's claims, this `access_token`.
 */
async function checkBearer(req: SeenRequest, accessToken: string) {
  assert((req.headers.get("authorization") ?? "").startsWith("Bearer "), "Authorization: Bearer");
  const jwt = bearerOf(req);
  const { headerText, payload } = splitJwt(jwt);
  equal(headerText, '{"alg":"PS512","typ":"JWT"}', "JWT header");
  assert(await webCryptoVerifyPs512(jwt, keys.contract.publicSpki), "JWT verifies (PS512, salt 64)");
  deepEqual(Object.keys(payload).sort(), BEARER_CLAIMS, "JWT claims");
  equal(payload.client_id, "app-vector_contract-vector", "client_id");
  equal(payload.access_token, accessToken, "access_token");
  assert(/^[A-Za-z0-9]{32}$/.test(String(payload.nonce)), "nonce: 32 of [A-Za-z0-9]");
  assert(
    typeof payload.timestamp === "number" && Math.abs(Date.now() - payload.timestamp) < 60_000,
    "timestamp",
  );
  return payload;
}

/** Checks a library push's request: URL, octet-stream, the FileDescriptor JWT, the bytes as they are. */
async function checkLibraryPush(req: SeenRequest, plain: Uint8Array, descriptor: unknown, token: string) {
  equal(req.method, "POST", "method");
  equal(req.url, IMPORT_URL, "URL");
  equal(req.headers.get("content-type"), "application/octet-stream", "Content-Type");
  await checkBearer(req, token);
  const fd = req.headers.get("filedescriptor") ?? "";
  equal(splitJwt(fd).headerText, '{"alg":"PS512","typ":"JWT"}', "FileDescriptor header");
  assert(await webCryptoVerifyPs512(fd, keys.contract.publicSpki), "FileDescriptor verifies (PS512)");
  const payloadText = fromUtf8(fromBase64Url(fd.split(".")[1] ?? ""));
  deepEqual(
    JSON.parse(payloadText),
    { metadata: descriptor },
    "FileDescriptor payload: exactly { metadata }",
  );
  bytesEqual(req.body, plain, "the body is the file's bytes as they are");
}

/** A fake digi.me: tokens and key set from the vectors, everything else from `answer`. */
const fakeDigime = (answer: (req: SeenRequest) => Response | Promise<Response>) =>
  tokenServer(vectors.responseToken.token, vectors.responseToken.keySet, answer);
const created = () => new Response(null, { status: 201 });
const invalidToken = () => jsonResponse({ error: { code: "InvalidToken", message: "expired" } }, 401);
const apiRequests = (seen: SeenRequest[]) =>
  seen.filter((r) => !r.url.endsWith("oauth/token") && !r.url.endsWith("jwks/oauth"));

/** A response token signed by the vectors' digi.me key (with the vector token's header and `jku`). */
const digimeToken = (payload: Record<string, unknown>) =>
  webCryptoSignPs512(splitJwt(vectors.responseToken.token).header, payload, keys.digime.privatePkcs8);

/** The cases against the fake digi.me (no network). */
export function importVectorCases(test: Test) {
  const plain = patternBytes(30, 10_001);
  const library = (fileData: sdk.FileData, over: Record<string, unknown> = {}) =>
    ({
      type: "library",
      contractDetails: CONTRACT,
      userAccessToken: VECTOR_TOKEN,
      data: { fileData, fileName: "private-name.bin", fileDescriptor: DESCRIPTOR },
      ...over,
    }) as sdk.PushLibraryOptions;

  test("pushData library: bytes, Blob, ArrayBuffer, stream, iterable reach digi.me as they are", async () => {
    async function* chunks() {
      for (let at = 0; at < plain.length; at += 999) yield plain.slice(at, at + 999);
    }
    const forms: [string, () => sdk.FileData][] = [
      ["Uint8Array", () => plain],
      ["Blob", () => new Blob([plain])],
      ["ArrayBuffer", () => plain.slice().buffer],
      ["ReadableStream", () => patternStream(30, plain.length)],
      ["AsyncIterable", () => chunks()],
    ];
    for (const [label, make] of forms) {
      for (const streamUploads of [true, false]) {
        const fake = fakeDigime(created);
        const result = await vectorClient(fake.fetch, { streamUploads }).pushData(library(make()));
        deepEqual(result, { userAccessToken: VECTOR_TOKEN }, `${label}: the answer`);
        equal(fake.seen.length, 1, `${label}: requests`);
        const req = fake.seen[0] as SeenRequest;
        await checkLibraryPush(req, plain, DESCRIPTOR, VECTOR_TOKEN.accessToken.value);
        for (const [name, value] of req.headers) {
          assert(!value.includes("private-name"), `${label}: the file name is sent (${name})`);
        }
      }
    }
  });

  test("pushData provider: POST …/h:accountId/fhir/{version}, accountId header, the JSON, no FileDescriptor", async () => {
    for (const version of FHIR_VERSIONS) {
      const fake = fakeDigime(() => jsonResponse({}));
      const result = await sdk.pushData(
        { applicationId: "app-vector", baseUrl: VECTOR_BASE, fetch: fake.fetch },
        {
          type: "provider",
          contractDetails: CONTRACT,
          userAccessToken: VECTOR_TOKEN,
          data: FHIR_BUNDLE as unknown as Record<string, unknown>,
          standard: "fhir",
          version,
          accountId: "acc-push-1",
        },
      );
      deepEqual(result, { userAccessToken: VECTOR_TOKEN }, "the answer");
      const req = fake.seen[0] as SeenRequest;
      equal(fake.seen.length, 1, "requests");
      equal(req.method, "POST", "method");
      equal(req.url, `${VECTOR_BASE}permission-access/import/h:accountId/fhir/${version}`, "URL");
      equal(req.headers.get("accountid"), "acc-push-1", "accountId header");
      equal(req.headers.get("content-type"), "application/json", "Content-Type");
      equal(req.headers.get("filedescriptor"), null, "FileDescriptor header");
      deepEqual(JSON.parse(fromUtf8(req.body)), FHIR_BUNDLE, "body");
      await checkBearer(req, VECTOR_TOKEN.accessToken.value);
    }
  });

  test("pushData: 401 InvalidToken, or a bare 401: refresh once, the same bytes again, a fresh JWT", async () => {
    for (const refused of [invalidToken, () => new Response(null, { status: 401 })]) {
      let pushes = 0;
      const fake = fakeDigime(() => (++pushes === 1 ? refused() : created()));
      const changes: unknown[] = [];
      const result = await vectorClient(fake.fetch).pushData(
        library(plain, { userAccessToken: STALE, onAccessTokenChange: (t: unknown) => changes.push(t) }),
      );
      deepEqual(result.userAccessToken, VECTOR_ANSWER_TOKEN, "the refreshed token is returned");
      deepEqual(changes, [VECTOR_ANSWER_TOKEN], "onAccessTokenChange, once, with the new token");
      equal(fake.seen.filter((r) => r.url.endsWith("oauth/token")).length, 1, "refreshes");
      const [first, second] = apiRequests(fake.seen);
      assert(first && second && apiRequests(fake.seen).length === 2, "two pushes");
      const a = await checkBearer(first, "stale-access");
      await checkLibraryPush(second, plain, DESCRIPTOR, VECTOR_TOKEN.accessToken.value);
      assert(a.nonce !== splitJwt(bearerOf(second)).payload.nonce, "a fresh nonce");
    }
  });

  test("pushData: a stream spent by a 401 ends with DataRequiredError carrying the new token", async () => {
    const fake = fakeDigime(invalidToken);
    const changes: unknown[] = [];
    const err = await rejects(
      () =>
        vectorClient(fake.fetch, { streamUploads: true }).pushData(
          library(patternStream(30, plain.length), {
            userAccessToken: STALE,
            onAccessTokenChange: (t: unknown) => changes.push(t),
          }),
        ),
      "DataRequiredError",
    );
    assert(err instanceof sdk.DataRequiredError && err instanceof sdk.DigiMeSDKError, "the class");
    equal(err.code, "DATA_REQUIRED", "code");
    deepEqual((err as sdk.DataRequiredError).userAccessToken, VECTOR_ANSWER_TOKEN, "error.userAccessToken");
    deepEqual(changes, [VECTOR_ANSWER_TOKEN], "onAccessTokenChange, once");
    const pushes = apiRequests(fake.seen);
    equal(pushes.length, 1, "pushes (never an empty or short body sent again)");
    bytesEqual((pushes[0] as SeenRequest).body, plain, "the one push carried the whole stream");
  });

  test("readAccounts: GET permission-access/accounts; the answer kept as given, members beyond checked ones too", async () => {
    const accounts = [
      { ...ACCOUNT, sample: false, favourite: { kept: true } },
      { ...ACCOUNT, id: "a2", type: "IMPORTED" },
    ];
    const fake = fakeDigime(() => jsonResponse(accounts));
    const result = await sdk.readAccounts(
      { applicationId: "app-vector", baseUrl: VECTOR_BASE, fetch: fake.fetch },
      { contractDetails: CONTRACT, userAccessToken: VECTOR_TOKEN },
    );
    deepEqual(result, { accounts, userAccessToken: VECTOR_TOKEN }, "the answer");
    const req = fake.seen[0] as SeenRequest;
    equal(req.method, "GET", "method");
    equal(req.url, `${VECTOR_BASE}permission-access/accounts`, "URL");
    equal(req.body.length, 0, "no body");
    await checkBearer(req, VECTOR_TOKEN.accessToken.value);
  });

  test("readAccounts: a malformed answer is a ServerError INVALID_RESPONSE", async () => {
    const { id: _, ...noId } = ACCOUNT;
    const malformed: [string, unknown][] = [
      ["an object", { accounts: [ACCOUNT] }],
      ["no id", [noId]],
      ["a numeric reference", [{ ...ACCOUNT, reference: 7 }]],
      ["an unknown type", [{ ...ACCOUNT, type: "SAVINGS" }]],
      ["a string createdDate", [{ ...ACCOUNT, createdDate: "2026-01-01" }]],
      [
        "accessTokenStatus.authorized not boolean",
        [{ ...ACCOUNT, accessTokenStatus: { authorized: "yes" } }],
      ],
      ["not JSON", "<html>"],
    ];
    for (const [label, answer] of malformed) {
      const fake = fakeDigime(() =>
        typeof answer === "string" ? new Response(answer, { status: 200 }) : jsonResponse(answer),
      );
      const client = vectorClient(fake.fetch);
      const err = await rejects(
        () => client.readAccounts({ contractDetails: CONTRACT, userAccessToken: VECTOR_TOKEN }),
        "ServerError",
        label,
      );
      equal(err.code, "INVALID_RESPONSE", `${label}: code`);
    }
  });

  test("deleteUser: DELETE {baseUrl}user with the Bearer JWT and no body; 204 is { deleted: true }", async () => {
    const fake = fakeDigime(() => new Response(null, { status: 204 }));
    const result = await vectorClient(fake.fetch).deleteUser({
      contractDetails: CONTRACT,
      userAccessToken: VECTOR_TOKEN,
    });
    deepEqual(result, { deleted: true }, "the answer");
    const req = fake.seen[0] as SeenRequest;
    equal(fake.seen.length, 1, "requests");
    equal(req.method, "DELETE", "method");
    equal(req.url, `${VECTOR_BASE}user`, "URL");
    equal(req.body.length, 0, "no body");
    await checkBearer(req, VECTOR_TOKEN.accessToken.value);
  });

  test("errors: X-Error-* headers without a body make the ServerError; a body's error comes first", async () => {
    const headers = {
      "x-error-code": "AccountNotFound",
      "x-error-message": "no such account",
      "x-error-reference": "ref-h",
    };
    const bare = fakeDigime(() => new Response(null, { status: 404, headers }));
    const client = vectorClient(bare.fetch);
    const options = { contractDetails: CONTRACT, userAccessToken: VECTOR_TOKEN };
    const err = await rejects(() => client.readAccounts(options), "ServerError");
    equal(err.status, 404, "status");
    equal(err.code, "AccountNotFound", "code");
    equal(err.reference, "ref-h", "reference");
    assert(err.message.includes("no such account"), "message");
    const both = fakeDigime(
      () =>
        new Response(
          JSON.stringify({ error: { code: "InsufficientScope", message: "m", reference: "ref-b" } }),
          {
            status: 403,
            headers: { ...headers, "content-type": "application/json" },
          },
        ),
    );
    const first = await rejects(() => vectorClient(both.fetch).deleteUser(options), "ServerError");
    equal(first.code, "InsufficientScope", "the body's code");
    equal(first.reference, "ref-b", "the body's reference");
  });

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

  test("input: bad options of every new call are a TypeValidationError naming the field; nothing sent", async () => {
    const fake = fakeDigime(created);
    const client = vectorClient(fake.fetch);
    const authorized = { contractDetails: CONTRACT, userAccessToken: VECTOR_TOKEN };
    const provider = {
      ...authorized,
      type: "provider",
      data: { resourceType: "Bundle" },
      standard: "fhir",
      version: "stu3",
      accountId: "acc-push-1",
    };
    const bad: [string, () => Promise<unknown>, string][] = [
      ["no type", () => client.pushData({ ...library(plain), type: undefined } as never), "type"],
      ["type other", () => client.pushData({ ...library(plain), type: "postbox" } as never), "type"],
      ["fileData a string", () => client.pushData(library("text" as never)), "data.fileData"],
      [
        "no fileDescriptor",
        () => client.pushData({ ...library(plain), data: { fileData: plain } } as never),
        "data.fileDescriptor",
      ],
      [
        "no mimeType",
        () =>
          client.pushData({
            ...library(plain),
            data: { fileData: plain, fileDescriptor: { accounts: [] } },
          } as never),
        "data.fileDescriptor.mimeType",
      ],
      ["version r4", () => client.pushData({ ...provider, version: "r4" } as never), "version"],
      ["standard hl7", () => client.pushData({ ...provider, standard: "hl7" } as never), "standard"],
      ["no accountId", () => client.pushData({ ...provider, accountId: undefined } as never), "accountId"],
      ["data an array", () => client.pushData({ ...provider, data: [] } as never), "data"],
      [
        "no token (accounts)",
        () => client.readAccounts({ contractDetails: CONTRACT } as never),
        "userAccessToken",
      ],
      [
        "no contract (delete)",
        () => client.deleteUser({ userAccessToken: VECTOR_TOKEN } as never),
        "contractDetails",
      ],
      [
        "a bad private key",
        () => client.deleteUser({ ...authorized, contractDetails: { ...CONTRACT, privateKey: "MIIE" } }),
        "contractDetails.privateKey",
      ],
      [
        "no state (v10)",
        () => client.getAuthorizeUrl({ contractDetails: CONTRACT, callback: "https://a.example/" }),
        "state",
      ],
      [
        "sourceType both",
        () =>
          client.getAuthorizeUrl({
            contractDetails: CONTRACT,
            callback: "https://a.example/",
            state: "s",
            sourceType: "both",
          } as never),
        "sourceType",
      ],
    ];
    for (const [label, call, field] of bad) {
      const err = await rejects(call, "TypeValidationError", label);
      const paths = ((err.issues ?? []) as sdk.ValidationIssue[]).map((i) => i.path.join("."));
      assert(paths.includes(field), `${label}: the issues name ${field} (got ${paths.join(", ") || "none"})`);
      assert(err.message.includes(field), `${label}: the message names ${field}`);
      assert(
        !err.message.includes("MIIE") && !err.message.includes("access-token-vector"),
        `${label}: echoes a secret`,
      );
    }
    equal(fake.seen.length, 0, "requests sent");
  });
}

/** The cases against the local server, with its import contract; the host checks what it recorded. */
export function importServerCases(test: Test, target: Target, runtime: string) {
  const contractDetails = { contractId: target.importContractId, privateKey: keys.contract.privatePkcs8 };
  const config = {
    applicationId: target.applicationId,
    baseUrl: target.baseUrl,
    onboardUrl: target.onboardUrl,
  };
  const client = () => sdk.init(config);
  let session:
    | {
        userAccessToken: sdk.UserAccessToken;
        accountReference: string;
        pushAccountId?: string;
        importedAccountId?: string;
      }
    | undefined;
  const authorized = () => {
    assert(session, "no import session: the sign-in failed");
    return { contractDetails, userAccessToken: session.userAccessToken };
  };
  const push = async (c: PushCase, fileData: sdk.FileData, extra: Partial<sdk.PushLibraryOptions> = {}) => {
    const result = await client().pushData({
      ...authorized(),
      type: "library",
      data: { fileData, fileName: "not-sent.bin", fileDescriptor: pushDescriptor(c) },
      ...extra,
    });
    (session as { userAccessToken: sdk.UserAccessToken }).userAccessToken = result.userAccessToken;
    return result;
  };

  test("import server: v10 sign-in (sourceType push): accountReference back; the token keeps user.id and consentid", async () => {
    const { url, codeVerifier } = await client().getAuthorizeUrl({
      contractDetails,
      callback: target.redirectUri,
      state: "conformance-import",
      sourceType: "push",
    });
    deepEqual(
      [...new URL(url).searchParams].map(([k]) => k),
      ["code", "sourceType"],
      "onboarding URL parameters",
    );
    const back = (await (await fetch(url)).json()) as Record<string, string>;
    equal(back.success, "true", "success");
    equal(back.state, "conformance-import", "state");
    assert(back.code && back.accountReference, "code and accountReference");
    assert(!("postboxId" in back) && !("publicKey" in back), "no postbox for an import contract");
    const token = (await client().exchangeCodeForToken({
      contractDetails,
      authorizationCode: back.code,
      codeVerifier,
    })) as sdk.UserAccessToken & { user?: { id?: unknown }; consentid?: unknown };
    assert(typeof token.user?.id === "string" && token.user.id !== "", "user.id");
    assert(typeof token.consentid === "string" && token.consentid !== "", "consentid");
    session = { userAccessToken: token, accountReference: back.accountReference };
  });

  test("import server: readAccounts lists the PUSH account the sign-in named, and the IMPORTED one", async () => {
    const options = authorized();
    const { accounts, userAccessToken } = await client().readAccounts(options);
    deepEqual(userAccessToken, options.userAccessToken, "the same token");
    const pushAccount = accounts.find((a) => a.reference === session?.accountReference);
    equal(pushAccount?.type, "PUSH", "the account of accountReference");
    const imported = accounts.find((a) => a.type === "IMPORTED");
    assert(pushAccount && imported, "an IMPORTED account");
    Object.assign(session as object, { pushAccountId: pushAccount.id, importedAccountId: imported.id });
  });

  test("import server: pushData library of bytes", async () => {
    const c = PUSHES.bytes;
    const before = authorized().userAccessToken;
    const changes: unknown[] = [];
    const result = await push(c, patternBytes(c.seed, c.size), {
      onAccessTokenChange: (t) => void changes.push(t),
    });
    deepEqual(result, { userAccessToken: before }, "the answer: the same token");
    equal(changes.length, 0, "onAccessTokenChange calls");
  });

  test("import server: pushData library of a 3 MiB ReadableStream, with progress", async () => {
    const c = PUSHES.stream;
    const progress: number[] = [];
    await push(c, patternStream(c.seed, c.size), { onProgress: (sent) => void progress.push(sent) });
    assert(progress.length > 0, "onProgress was called");
    assert(
      progress.every((v, i) => i === 0 || v >= (progress[i - 1] ?? 0)),
      "progress never goes back",
    );
    equal(progress.at(-1), c.size, "progress ends at the file size");
  });

  test("import server: standalone pushData(config, options) of a Blob", async () => {
    const c = PUSHES.blob;
    const result = await sdk.pushData(config, {
      ...authorized(),
      type: "library",
      data: { fileData: new Blob([patternBytes(c.seed, c.size)]), fileDescriptor: pushDescriptor(c) },
    });
    (session as { userAccessToken: sdk.UserAccessToken }).userAccessToken = result.userAccessToken;
  });

  test("import server: pushData provider (FHIR stu3 and 3.0.2) to the user's PUSH account", async () => {
    for (const version of FHIR_VERSIONS) {
      const result = await client().pushData({
        ...authorized(),
        type: "provider",
        data: FHIR_BUNDLE as unknown as Record<string, unknown>,
        standard: "fhir",
        version,
        accountId: session?.pushAccountId ?? "",
      });
      deepEqual(result.userAccessToken, authorized().userAccessToken, `${version}: the same token`);
    }
  });

  test("import server: provider errors read from X-Error-* alone (no body): 404 AccountNotFound, 403 InsufficientScope", async () => {
    const fhir = (accountId: string) =>
      client().pushData({
        ...authorized(),
        type: "provider",
        data: { resourceType: "Bundle" },
        standard: "fhir",
        version: "stu3",
        accountId,
      });
    const missing = await rejects(() => fhir("no-such-account"), "ServerError");
    equal(missing.status, 404, "status");
    equal(missing.code, "AccountNotFound", "code (X-Error-Code)");
    assert(
      typeof missing.reference === "string" && missing.reference !== "",
      "reference (X-Error-Reference)",
    );
    assert(missing.message.includes("no-such-account"), "message (X-Error-Message)");
    const notPush = await rejects(() => fhir(session?.importedAccountId ?? ""), "ServerError");
    equal(notPush.status, 403, "status");
    equal(notPush.code, "InsufficientScope", "code");
  });

  test("import server: expired token: 401 InvalidToken, one refresh, the bytes sent again", async () => {
    await expireTokens(target);
    const c = PUSHES.refreshed;
    const before = authorized().userAccessToken;
    const changes: sdk.UserAccessToken[] = [];
    const result = await push(c, patternBytes(c.seed, c.size), {
      onAccessTokenChange: (t) => void changes.push(t),
    });
    assert(result.userAccessToken.accessToken.value !== before.accessToken.value, "a new access token");
    deepEqual(changes, [result.userAccessToken], "onAccessTokenChange, once, with the new token");
  });

  test("import server: a stream spent by the 401: DataRequiredError with the new token, or resent from its Blob", async () => {
    await expireTokens(target);
    const c = PUSHES.spent;
    const before = authorized().userAccessToken;
    try {
      await push(c, patternStream(c.seed, c.size));
      // Only where the SDK gathered the stream into a Blob (browsers) can it be sent again.
      equal(runtime, "chromium", "a spent stream was delivered");
    } catch (err) {
      if (!(err instanceof sdk.DataRequiredError)) throw err;
      equal(err.code, "DATA_REQUIRED", "code");
      const fresh = err.userAccessToken;
      assert(fresh.accessToken.value !== before.accessToken.value, "the error carries a new access token");
      (session as { userAccessToken: sdk.UserAccessToken }).userAccessToken = fresh;
      await push(c, patternStream(c.seed, c.size)); // given again, with the new token
    }
  });

  test("import server: readAccounts with an expired token refreshes once", async () => {
    await expireTokens(target);
    const before = authorized().userAccessToken;
    const changes: sdk.UserAccessToken[] = [];
    const { accounts, userAccessToken } = await client().readAccounts({
      ...authorized(),
      onAccessTokenChange: (t) => void changes.push(t),
    });
    assert(accounts.length >= 2, "accounts");
    assert(userAccessToken.accessToken.value !== before.accessToken.value, "a new access token");
    deepEqual(changes, [userAccessToken], "onAccessTokenChange, once");
    (session as { userAccessToken: sdk.UserAccessToken }).userAccessToken = userAccessToken;
  });

  test("import server: deleteUser; afterwards the user's token is refused (401 InvalidToken)", async () => {
    const options = authorized();
    deepEqual(await sdk.deleteUser(config, options), { deleted: true }, "the answer");
    const err = await rejects(() => client().readAccounts(options), "ServerError");
    equal(err.status, 401, "status");
    equal(err.code, "InvalidToken", "code");
  });
}
