/**
 * The import API's cases against a fake digi.me (no network), each request checked with WebCrypto
 * here: `pushData` into the library and to a provider, the token's refresh around them, a spent
 * stream, `readAccounts`, `deleteUser`, errors from `X-Error-*` headers, bad options.
 */
import official16 from "@digime-edge/fixtures/official-v16-requests.json" with { type: "json" };
import * as sdk from "@digime-edge/sdk-core";
import { FHIR_BUNDLE, FHIR_VERSIONS, patternBytes, patternStream } from "./data.ts";
import { assert, bytesEqual, deepEqual, equal, rejects, type TestFn } from "./harness.ts";
import {
  bearerOf,
  busyOnce,
  fromBase64Url,
  fromUtf8,
  jsonResponse,
  type SeenRequest,
  splitJwt,
  webCryptoVerifyPs512,
} from "./util.ts";
import {
  IMPORT_CONTRACT as CONTRACT,
  DESCRIPTOR,
  keys,
  tokenServer,
  VECTOR_ANSWER_TOKEN,
  VECTOR_BASE,
  VECTOR_TOKEN,
  vectorClient,
  vectors,
} from "./vectors.ts";

const IMPORT_URL = `${VECTOR_BASE}permission-access/import`;
/** An account as the stand-in server answered the official SDK 16 (its recorded requests). */
const ACCOUNT = official16.answers.accounts[0] as (typeof official16.answers.accounts)[number];
const STALE = {
  accessToken: { value: "stale-access", expiry: 1 },
  refreshToken: { value: "stale-refresh", expiry: 2 },
};
const BEARER_CLAIMS = ["access_token", "client_id", "nonce", "timestamp"];

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

/** The cases against the fake digi.me (no network). */
export function importFakeCases(test: TestFn) {
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

  test("provider push, readAccounts, deleteUser: 401 InvalidToken, one refresh, sent again with the new token", async () => {
    const provider = {
      type: "provider",
      data: FHIR_BUNDLE as unknown as Record<string, unknown>,
      standard: "fhir",
      version: "stu3",
      accountId: "acc-push-1",
    } as const;
    const calls: [
      string,
      (c: sdk.DigiMeSDK, o: sdk.AuthorizedOptions) => Promise<unknown>,
      () => Response,
    ][] = [
      ["provider push", (c, o) => c.pushData({ ...o, ...provider }), () => jsonResponse({})],
      ["readAccounts", (c, o) => c.readAccounts(o), () => jsonResponse([ACCOUNT])],
      ["deleteUser", (c, o) => c.deleteUser(o), () => new Response(null, { status: 204 })],
    ];
    for (const [label, call, answer] of calls) {
      let sent = 0;
      const fake = fakeDigime(() => (++sent === 1 ? invalidToken() : answer()));
      const changes: unknown[] = [];
      const result = (await call(vectorClient(fake.fetch), {
        contractDetails: CONTRACT,
        userAccessToken: STALE,
        onAccessTokenChange: (t) => void changes.push(t),
      })) as { userAccessToken?: unknown };
      if (label !== "deleteUser") deepEqual(result.userAccessToken, VECTOR_ANSWER_TOKEN, `${label}: token`);
      deepEqual(changes, [VECTOR_ANSWER_TOKEN], `${label}: onAccessTokenChange, once`);
      const [first, second, more] = apiRequests(fake.seen);
      assert(first && second && !more, `${label}: two requests`);
      await checkBearer(first, "stale-access");
      await checkBearer(second, VECTOR_TOKEN.accessToken.value);
      bytesEqual(second.body, first.body, `${label}: the same body again`);
    }
  });

  test("pushData: a 503 with Retry-After is sent again (fresh nonce, same bytes); an aborted signal is NetworkError ABORTED", async () => {
    const fake = fakeDigime(busyOnce(created));
    await vectorClient(fake.fetch).pushData(library(new Blob([plain])));
    const [a, b] = apiRequests(fake.seen);
    assert(a && b && apiRequests(fake.seen).length === 2, "two attempts");
    await checkLibraryPush(a, plain, DESCRIPTOR, VECTOR_TOKEN.accessToken.value);
    await checkLibraryPush(b, plain, DESCRIPTOR, VECTOR_TOKEN.accessToken.value);
    assert(splitJwt(bearerOf(a)).payload.nonce !== splitJwt(bearerOf(b)).payload.nonce, "a fresh nonce");
    const aborted = fakeDigime(created);
    const err = await rejects(
      () => vectorClient(aborted.fetch).pushData(library(plain, { signal: AbortSignal.abort() })),
      "NetworkError",
    );
    equal(err.code, "ABORTED", "code");
    equal(apiRequests(aborted.seen).length, 0, "requests after the abort");
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
