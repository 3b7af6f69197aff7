/**
 * The cases of `pushData` against a fake digi.me (no network), each request checked with WebCrypto:
 * into the library and to a provider, the token's refresh around them, a retried 503, an aborted
 * signal, a spent stream.
 */
import * as sdk from "@digime-edge/sdk-core";
import { FHIR_BUNDLE, FHIR_VERSIONS, patternStream } from "./data.ts";
import { assert, bytesEqual, deepEqual, equal, rejects, type TestFn } from "./harness.ts";
import {
  ACCOUNT,
  apiRequests,
  checkBearer,
  checkLibraryPush,
  created,
  fakeDigime,
  invalidToken,
  library,
  PLAIN,
  STALE,
} from "./import-checks.ts";
import { bearerOf, busyOnce, fromUtf8, jsonResponse, type SeenRequest, splitJwt } from "./util.ts";
import {
  IMPORT_CONTRACT as CONTRACT,
  DESCRIPTOR,
  VECTOR_ANSWER_TOKEN,
  VECTOR_BASE,
  VECTOR_TOKEN,
  vectorClient,
} from "./vectors.ts";

/** Registers the `pushData` cases (and the refresh of the other calls) against the fake digi.me. */
export function importPushFakeCases(test: TestFn) {
  test("pushData library: bytes, Blob, ArrayBuffer, stream, iterable reach digi.me as they are", async () => {
    async function* chunks() {
      for (let at = 0; at < PLAIN.length; at += 999) yield PLAIN.slice(at, at + 999);
    }
    const forms: [string, () => sdk.FileData][] = [
      ["Uint8Array", () => PLAIN],
      ["Blob", () => new Blob([PLAIN])],
      ["ArrayBuffer", () => PLAIN.slice().buffer],
      ["ReadableStream", () => patternStream(30, PLAIN.length)],
      ["AsyncIterable", () => chunks()],
    ];
    for (const [label, make] of forms) {
      for (const streamUploads of [true, false]) {
        const fake = fakeDigime(created);
        const result = await vectorClient(fake.fetch, { streamUploads }).pushData(library(make()));
        deepEqual(result, { userAccessToken: VECTOR_TOKEN }, `${label}: the answer`);
        equal(fake.seen.length, 1, `${label}: requests`);
        const req = fake.seen[0] as SeenRequest;
        await checkLibraryPush(req, PLAIN, DESCRIPTOR, VECTOR_TOKEN.accessToken.value);
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
        library(PLAIN, { userAccessToken: STALE, onAccessTokenChange: (t: unknown) => changes.push(t) }),
      );
      deepEqual(result.userAccessToken, VECTOR_ANSWER_TOKEN, "the refreshed token is returned");
      deepEqual(changes, [VECTOR_ANSWER_TOKEN], "onAccessTokenChange, once, with the new token");
      equal(fake.seen.filter((r) => r.url.endsWith("oauth/token")).length, 1, "refreshes");
      const [first, second] = apiRequests(fake.seen);
      assert(first && second && apiRequests(fake.seen).length === 2, "two pushes");
      const a = await checkBearer(first, "stale-access");
      await checkLibraryPush(second, PLAIN, DESCRIPTOR, VECTOR_TOKEN.accessToken.value);
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
    await vectorClient(fake.fetch).pushData(library(new Blob([PLAIN])));
    const [a, b] = apiRequests(fake.seen);
    assert(a && b && apiRequests(fake.seen).length === 2, "two attempts");
    await checkLibraryPush(a, PLAIN, DESCRIPTOR, VECTOR_TOKEN.accessToken.value);
    await checkLibraryPush(b, PLAIN, DESCRIPTOR, VECTOR_TOKEN.accessToken.value);
    assert(splitJwt(bearerOf(a)).payload.nonce !== splitJwt(bearerOf(b)).payload.nonce, "a fresh nonce");
    const aborted = fakeDigime(created);
    const err = await rejects(
      () => vectorClient(aborted.fetch).pushData(library(PLAIN, { signal: AbortSignal.abort() })),
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
          library(patternStream(30, PLAIN.length), {
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
    bytesEqual((pushes[0] as SeenRequest).body, PLAIN, "the one push carried the whole stream");
  });
}
