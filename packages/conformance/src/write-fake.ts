/**
 * Cases of `write` against a fake digi.me: refused input, error answers, a retried 503, a refreshed
 * token, an aborted signal.
 */
import { patternBytes } from "./data.ts";
import { assert, deepEqual, equal, rejects, type TestFn } from "./harness.ts";
import { busyOnce, fakeFetch, jsonResponse, type SeenRequest, splitJwt } from "./util.ts";
import { DESCRIPTOR, keys, VECTOR_ANSWER_TOKEN, vectors } from "./vectors.ts";
import { api, capturedWrite, checkWriteRequest, PLAIN_SMALL, vectorWrite } from "./write-checks.ts";

/** Registers the write cases against a fake digi.me. */
export function writeFakeCases(test: TestFn) {
  // --- behaviour of write, with a fake digi.me ---------------------------------------------------
  const data = (fileData: unknown) => ({
    data: { fileData, fileName: "vector.bin", fileDescriptor: DESCRIPTOR },
  });

  test("input: ids that would change the URL path and fileData of other types are refused; nothing sent", async () => {
    const fake = fakeFetch(() => jsonResponse({ status: "delivered", expires: 1 }));
    for (const postboxId of ["a/b", "..", "a?b", "a#b", "a b"]) {
      const err = await rejects(
        () => vectorWrite(fake.fetch, { postboxId }),
        "TypeValidationError",
        postboxId,
      );
      assert(!err.message.includes("MIIE"), "the message echoes a key");
    }
    for (const fileData of ["text", 42, { length: 3 }]) {
      await rejects(() => vectorWrite(fake.fetch, data(fileData)), "TypeValidationError", typeof fileData);
    }
    equal(fake.seen.length, 0, "requests sent");
  });

  test("input: an AsyncIterable of chunks (as a Node Readable is) decrypts to the input", async () => {
    const plain = patternBytes(13, 70_001);
    async function* chunks() {
      for (let at = 0; at < plain.length; at += 9_999) yield plain.slice(at, at + 9_999);
    }
    const { request } = await capturedWrite({
      privateKey: keys.contract.privatePkcs1,
      publicKey: keys.postbox.publicPkcs1,
      fileData: chunks(),
    });
    await checkWriteRequest(request, plain);
  });

  test("errors: error answers become ServerError / SDKInvalidError with status, code and reference", async () => {
    const answer = (status: number, code: string) =>
      fakeFetch(() => jsonResponse({ error: { code, message: "refused", reference: "ref-1" } }, status))
        .fetch;
    const err = await rejects(() => vectorWrite(answer(404, "PostboxNotFound")), "ServerError");
    equal(err.status, 404, "status");
    equal(err.code, "PostboxNotFound", "code");
    equal(err.reference, "ref-1", "reference");
    const sdkErr = await rejects(() => vectorWrite(answer(400, "SDKVersionInvalid")), "SDKInvalidError");
    equal(sdkErr.code, "SDKVersionInvalid", "code");
    assert(sdkErr instanceof api.ServerError, "SDKInvalidError extends ServerError");
  });

  test("retry: a 503 with Retry-After is sent again with a fresh nonce and JWT, then delivered", async () => {
    const fake = fakeFetch(busyOnce(() => jsonResponse({ status: "delivered", expires: 1 })));
    equal((await vectorWrite(fake.fetch)).status, "delivered", "status");
    equal(fake.seen.length, 2, "attempts");
    const [a, b] = fake.seen.map((r) => splitJwt((r.headers.get("authorization") ?? "").slice(7)).payload);
    assert(a && b && a.nonce !== b.nonce, "a fresh nonce on the second attempt");
    await checkWriteRequest(fake.seen[1] as SeenRequest, PLAIN_SMALL);
  });

  test("token: 401 InvalidToken refreshes once, writes again, and returns the new token", async () => {
    const stale = {
      accessToken: { value: "stale-access", expiry: 1 },
      refreshToken: { value: "stale-refresh", expiry: 2 },
    };
    let writes = 0;
    const fake = fakeFetch((req) => {
      if (req.url.endsWith("jwks/oauth")) return jsonResponse(vectors.responseToken.keySet);
      if (req.url.endsWith("oauth/token")) return jsonResponse({ token: vectors.responseToken.token });
      return ++writes === 1
        ? jsonResponse({ error: { code: "InvalidToken", message: "expired" } }, 401)
        : jsonResponse({ status: "delivered", expires: 1 });
    });
    const result = await vectorWrite(fake.fetch, { userAccessToken: stale });
    equal(result.status, "delivered", "status");
    deepEqual(result.userAccessToken, VECTOR_ANSWER_TOKEN, "the refreshed token");
    const refresh = fake.seen.filter((r) => r.url.endsWith("oauth/token"));
    equal(refresh.length, 1, "refreshes");
    const claims = splitJwt((refresh[0]?.headers.get("authorization") ?? "").slice(7)).payload;
    equal(claims.grant_type, "refresh_token", "grant_type");
    equal(claims.refresh_token, "stale-refresh", "refresh_token");
    const last = fake.seen.at(-1) as SeenRequest;
    equal(
      splitJwt((last.headers.get("authorization") ?? "").slice(7)).payload.access_token,
      "access-token-vector",
      "new access token used",
    );
  });

  test("abort: an aborted signal ends the write with NetworkError (ABORTED)", async () => {
    const fake = fakeFetch(() => jsonResponse({ status: "delivered", expires: 1 }));
    const err = await rejects(() => vectorWrite(fake.fetch, { signal: AbortSignal.abort() }), "NetworkError");
    equal(err.code, "ABORTED", "code");
  });
}
