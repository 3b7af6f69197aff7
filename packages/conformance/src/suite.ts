/**
 * The conformance suite of @digime-edge/sdk-core: the cases of this file, import-fake.ts,
 * sign-in-v10.ts and import-server.ts, run unchanged on Node, Deno, Bun, workerd and Chromium (see
 * ../runners). It imports the SDK by its package name, so every runtime resolves the published
 * entry (`exports` of sdk-core's package.json, the built dist).
 * No runtime-specific API is used: only WebCrypto, fetch, web streams, Blob and FormData.
 *
 * Cases check sdk-core against the official SDK's known-answer vectors and against WebCrypto used
 * directly; the write cases go to a local digi.me server (the `target`) whose node:crypto side
 * decrypts every file, so the host can compare it with what was sent.
 */
import * as sdk from "@digime-edge/sdk-core";
import * as internal from "@digime-edge/sdk-core/internal";
import { patternBytes, patternStream, WRITES, type WriteCase } from "./data.ts";
import { assert, bytesEqual, createHarness, deepEqual, equal, rejects, type SuiteResult } from "./harness.ts";
import { importFakeCases } from "./import-fake.ts";
import { importServerCases } from "./import-server.ts";
import { signInV10Cases } from "./sign-in-v10.ts";
import {
  type Bytes,
  busyOnce,
  fakeFetch,
  filePart,
  fromBase64,
  fromHex,
  fromUtf8,
  jsonResponse,
  openEnvelope,
  type SeenRequest,
  splitJwt,
  toBase64,
  toBase64Url,
  utf8,
  webCryptoCbc,
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
  vectors,
} from "./vectors.ts";

export type { Target } from "./vectors.ts";

// The public API is used through the namespace with its published types (so the suite also checks
// sdk-core's .d.ts). Helpers that may not be exported are looked up by name at run time: a missing
// one fails the cases that need it, naming it, instead of the whole suite failing to load.
// biome-ignore lint/suspicious/noExplicitAny: the surface is checked by the cases themselves
type Api = Record<string, any>;
const api = sdk as unknown as Api;

function need(name: string) {
  const value = api[name];
  if (value === undefined) throw new Error(`@digime-edge/sdk-core does not export \`${name}\``);
  return value;
}

const REQUEST_CLAIMS = Object.keys(vectors.writeRequestJwt.payload).sort();

/** A write whose request is captured by a fake fetch and answered `delivered`. */
async function capturedWrite(opts: {
  privateKey: string;
  publicKey: string;
  fileData: sdk.FileData;
  fileName?: string;
}): Promise<{ result: sdk.WriteResult; request: SeenRequest }> {
  const fake = fakeFetch(() => jsonResponse({ status: "delivered", expires: 1 }));
  const client = sdk.init({ applicationId: "app-vector", baseUrl: VECTOR_BASE, fetch: fake.fetch });
  const result = await client.write({
    contractDetails: { ...VECTOR_CONTRACT, privateKey: opts.privateKey },
    userAccessToken: VECTOR_TOKEN,
    postboxId: "postbox-vector",
    publicKey: opts.publicKey,
    data: { fileData: opts.fileData, fileName: opts.fileName ?? "vector.bin", fileDescriptor: DESCRIPTOR },
  });
  equal(fake.seen.length, 1, "requests sent");
  const request = fake.seen[0] as SeenRequest;
  equal(request.method, "POST", "method");
  equal(request.url, `${VECTOR_BASE}permission-access/postbox/postbox-vector`, "write URL");
  return { result, request };
}

/**
 * Checks a captured write as digi.me would, with WebCrypto used directly: the JWT verifies with the
 * contract's public key, its claims are exactly the wire format's, the key unwraps with the postbox's
 * private key, and metadata and file decrypt to the descriptor and `plain`.
 */
async function checkWriteRequest(request: SeenRequest, plain: Bytes, fileName = "vector.bin") {
  const auth = request.headers.get("authorization") ?? "";
  assert(auth.startsWith("Bearer "), "Authorization: Bearer");
  const jwt = auth.slice(7);
  const { headerText, payload } = splitJwt(jwt);
  equal(headerText, '{"alg":"PS512","typ":"JWT"}', "JWT header");
  assert(await webCryptoVerifyPs512(jwt, keys.contract.publicSpki), "JWT verifies (PS512, salt 64)");
  deepEqual(Object.keys(payload).sort(), REQUEST_CLAIMS, "JWT claims");
  equal(payload.client_id, "app-vector_contract-vector", "client_id");
  equal(payload.access_token, "access-token-vector", "access_token");
  assert(/^[A-Za-z0-9]{32}$/.test(String(payload.nonce)), "nonce: 32 of [A-Za-z0-9]");
  assert(
    typeof payload.timestamp === "number" && Math.abs(Date.now() - payload.timestamp) < 60_000,
    "timestamp",
  );
  assert(/^[0-9a-f]{32}$/.test(String(payload.iv)), "iv: 32 lowercase hex");
  const env = await openEnvelope(
    String(payload.symmetrical_key),
    String(payload.iv),
    keys.postbox.privatePkcs8,
  );
  equal(env.rawKey.length, 32, "AES key size");
  const meta = await env.decrypt(fromBase64(String(payload.metadata)));
  deepEqual(JSON.parse(fromUtf8(meta)), DESCRIPTOR, "metadata");
  assert((request.headers.get("content-type") ?? "").startsWith("multipart/form-data"), "multipart body");
  const file = await filePart(request);
  equal(file.name, fileName, "filename");
  bytesEqual(await env.decrypt(file.bytes), plain, "file decrypts to the input");
}

function exchange(fetchFn: typeof fetch) {
  const client = sdk.init({ applicationId: "app-vector", baseUrl: VECTOR_BASE, fetch: fetchFn });
  return client.exchangeCodeForToken({
    contractDetails: VECTOR_CONTRACT,
    authorizationCode: "code-vector",
    codeVerifier: vectors.pkce.codeVerifier,
  });
}

/** Runs every case and returns the result. `target` is the local server for the write cases. */
export async function runConformance(runtime: string, target: Target): Promise<SuiteResult> {
  const { test, run } = createHarness();

  // --- the package -------------------------------------------------------------------------------
  test("exports: init and the error classes, each named for its class", () => {
    equal(typeof sdk.init, "function", "init");
    for (const name of [
      "DigiMeSDKError",
      "TypeValidationError",
      "ServerError",
      "SDKInvalidError",
      "TokenVerificationError",
      "NetworkError",
    ]) {
      const E = need(name);
      const e: { name: string; code: unknown } =
        name === "ServerError" || name === "SDKInvalidError" ? new E("m", { status: 500 }) : new E("m");
      equal(e.name, name, `${name}.name`);
      assert(e instanceof api.DigiMeSDKError && e instanceof Error, `${name} extends DigiMeSDKError`);
      assert(typeof e.code === "string", `${name}.code`);
    }
  });

  // --- keys: every PEM form, through a whole write checked with WebCrypto --------------------------
  const plainSmall = patternBytes(10, 1_000);
  const keyForms = [
    ["contract private key PKCS#1", keys.contract.privatePkcs1, keys.postbox.publicSpki],
    ["contract private key PKCS#8", keys.contract.privatePkcs8, keys.postbox.publicSpki],
    ["postbox public key PKCS#1", keys.contract.privatePkcs8, keys.postbox.publicPkcs1],
    ["postbox public key SPKI", keys.contract.privatePkcs1, keys.postbox.publicSpki],
  ] as const;
  for (const [label, privateKey, publicKey] of keyForms) {
    test(`keys: ${label} imports; its write verifies and decrypts`, async () => {
      const { result, request } = await capturedWrite({ privateKey, publicKey, fileData: plainSmall });
      equal(result.status, "delivered", "status");
      await checkWriteRequest(request, plainSmall);
    });
  }

  test("keys: a key that does not import is a TypeValidationError, nothing sent, key not echoed", async () => {
    const fake = fakeFetch(() => jsonResponse({ status: "delivered", expires: 1 }));
    const client = sdk.init({ applicationId: "app-vector", baseUrl: VECTOR_BASE, fetch: fake.fetch });
    const broken = keys.contract.privatePkcs1.replace("MIIEow", "MIIEox");
    const err = await rejects(
      () =>
        client.write({
          contractDetails: { ...VECTOR_CONTRACT, privateKey: broken },
          userAccessToken: VECTOR_TOKEN,
          postboxId: "postbox-vector",
          publicKey: keys.postbox.publicPkcs1,
          data: { fileData: plainSmall, fileName: "x.bin", fileDescriptor: DESCRIPTOR },
        }),
      "TypeValidationError",
    );
    equal(fake.seen.length, 0, "requests sent");
    const text = `${err.message} ${JSON.stringify(err)} ${String(err.stack)}`;
    assert(!text.includes("MIIE") && !text.includes("access-token-vector"), "error echoes a key or token");
  });

  // --- JWT ---------------------------------------------------------------------------------------
  test("jwt: the official SDK's writeRequestJwt verifies with sdk-core's verifier and key import", async () => {
    const key = await need("importVerificationKey")({ pem: keys.contract.publicPkcs1 });
    const verifyJwt = need("verifyJwt");
    // The vector is signed with the contract key, which is not a verification key; import it as one.
    const { payload } = await verifyJwt(vectors.writeRequestJwt.token, async () => key);
    deepEqual(payload, vectors.writeRequestJwt.payload, "payload");
  });

  test("jwt: the writeRequestJwt vector verifies with WebCrypto here (PS512, salt 64)", async () => {
    assert(await webCryptoVerifyPs512(vectors.writeRequestJwt.token, keys.contract.publicSpki), "verifies");
  });

  test("jwt: sdk-core signs; WebCrypto verifies with the contract's public key", async () => {
    const key = await need("importContractPrivateKey")(keys.contract.privatePkcs8);
    const token: string = await need("signJwt")(vectors.writeRequestJwt.payload, key);
    equal(splitJwt(token).headerText, '{"alg":"PS512","typ":"JWT"}', "header");
    deepEqual(splitJwt(token).payload, vectors.writeRequestJwt.payload, "payload");
    assert(await webCryptoVerifyPs512(token, keys.contract.publicSpki), "verifies");
  });

  test("jwt: the responseToken vector verifies with the PEM key set", async () => {
    const fake = tokenServer(vectors.responseToken.token, vectors.responseToken.keySet);
    deepEqual(await exchange(fake.fetch), VECTOR_ANSWER_TOKEN, "UserAccessToken");
  });

  test("jwt: the responseToken vector verifies with the JWK key set", async () => {
    const fake = tokenServer(vectors.responseToken.token, vectors.responseToken.keySetJwk);
    deepEqual(await exchange(fake.fetch), VECTOR_ANSWER_TOKEN, "UserAccessToken");
  });

  const header = splitJwt(vectors.responseToken.token).header;
  const responsePayload = vectors.responseToken.payload;
  test("jwt: refused: a response token signed by another key", async () => {
    const forged = await webCryptoSignPs512(header, responsePayload, keys.contract.privatePkcs8);
    await rejects(
      () => exchange(tokenServer(forged, vectors.responseToken.keySet).fetch),
      "TokenVerificationError",
    );
  });

  test("jwt: refused: a jku outside the trusted origins, which is never fetched", async () => {
    const forged = await webCryptoSignPs512(
      { ...header, jku: "https://keys.attacker.example/jwks" },
      responsePayload,
      keys.digime.privatePkcs8,
    );
    const fake = tokenServer(forged, vectors.responseToken.keySet);
    await rejects(() => exchange(fake.fetch), "TokenVerificationError");
    assert(!fake.seen.some((r) => r.url.includes("attacker")), "the foreign key set was fetched");
  });

  test("jwt: refused: alg other than PS512 (RS512 header)", async () => {
    const [, p, s] = vectors.responseToken.token.split(".");
    const h = toBase64Url(utf8(JSON.stringify({ ...header, alg: "RS512" })));
    await rejects(
      () => exchange(tokenServer(`${h}.${p}.${s}`, vectors.responseToken.keySet).fetch),
      "TokenVerificationError",
    );
  });

  // --- envelope ----------------------------------------------------------------------------------
  test("envelope: keyWrap vector unwraps to keyHex here (RSA-OAEP SHA-1, WebCrypto)", async () => {
    const env = await openEnvelope(
      vectors.keyWrap.wrappedBase64,
      vectors.envelope.ivHex,
      keys.postbox.privatePkcs8,
    );
    bytesEqual(env.rawKey, fromHex(vectors.envelope.keyHex), "unwrapped key");
  });

  test("envelope: known-answer metadata and files, one-shot and streamed in odd chunks", async () => {
    const publicKey = await need("importPostboxPublicKey")(keys.postbox.publicPkcs1);
    const keyMaterial = { key: fromHex(vectors.envelope.keyHex), iv: fromHex(vectors.envelope.ivHex) };
    // A fixed key and iv: the unstable test hook of the ./internal subpath (createEnvelope refuses it).
    const env = await internal.createEnvelopeWithKeyMaterial({
      publicKey,
      fileDescriptor: DESCRIPTOR,
      keyMaterial,
    });
    equal(env.metadata, vectors.envelope.metadataBase64, "metadata");
    equal(env.ivHex, vectors.envelope.ivHex, "ivHex");
    const encryptCbc = need("encryptCbc");
    const createStream = need("createCbcEncryptStream");
    for (const [i, f] of vectors.envelope.files.entries()) {
      const plain = fromBase64(f.plainBase64);
      equal(toBase64(await encryptCbc(env.aesKey, env.iv, plain)), f.cipherBase64, `file ${i} one-shot`);
      const chunks = new ReadableStream<Uint8Array>({
        start(c) {
          for (let at = 0; at < plain.length; ) {
            const n = [1, 15, 17, 4_099][at % 4] ?? 1;
            c.enqueue(plain.slice(at, at + n));
            at += n;
          }
          c.close();
        },
      });
      const out = new Uint8Array(
        await new Response(
          chunks.pipeThrough(createStream(env.aesKey, env.iv, { chunkSize: 32 })),
        ).arrayBuffer(),
      );
      equal(toBase64(out), f.cipherBase64, `file ${i} streamed`);
    }
  });

  test("envelope: AES-256-CBC vectors hold for WebCrypto here", async () => {
    for (const f of vectors.envelope.files) {
      const out = await webCryptoCbc(
        vectors.envelope.keyHex,
        vectors.envelope.ivHex,
        fromBase64(f.plainBase64),
      );
      equal(toBase64(out), f.cipherBase64, "cipher");
    }
  });

  test("envelope: a ReadableStream write is encrypted as it flows and decrypts to the input", async () => {
    const size = 300_001;
    const { request } = await capturedWrite({
      privateKey: keys.contract.privatePkcs1,
      publicKey: keys.postbox.publicPkcs1,
      fileData: patternStream(11, size),
    });
    await checkWriteRequest(request, patternBytes(11, size));
  });

  test("envelope: Blob and ArrayBuffer writes decrypt to the input", async () => {
    const plain = patternBytes(12, 50_000);
    for (const fileData of [new Blob([plain]), plain.slice().buffer]) {
      const { request } = await capturedWrite({
        privateKey: keys.contract.privatePkcs1,
        publicKey: keys.postbox.publicPkcs1,
        fileData,
      });
      await checkWriteRequest(request, plain);
    }
  });

  test("pkce: authorize sends code_challenge = base64url(SHA-256(codeVerifier)); vector pair holds", async () => {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(vectors.pkce.codeVerifier)));
    equal(toBase64Url(digest), vectors.pkce.codeChallenge, "vector");
    const preauth = await webCryptoSignPs512(
      header,
      { preauthorization_code: "pre-vector" },
      keys.digime.privatePkcs8,
    );
    const fake = fakeFetch((req) =>
      req.url.endsWith("jwks/oauth")
        ? jsonResponse(vectors.responseToken.keySet)
        : jsonResponse({ token: preauth, session: { expiry: 1, key: "k" } }),
    );
    const client = sdk.init({ applicationId: "app-vector", baseUrl: VECTOR_BASE, fetch: fake.fetch });
    const { url, codeVerifier } = await client.getAuthorizeUrl({
      contractDetails: VECTOR_CONTRACT,
      callback: "https://app.example/fail",
    });
    assert(String(url).includes("code=pre-vector"), "onboarding URL carries the preauthorization code");
    const sent = fake.seen.find((r) => r.url === `${VECTOR_BASE}oauth/authorize`);
    assert(sent, "authorize request");
    const claims = splitJwt((sent.headers.get("authorization") ?? "").slice(7)).payload;
    const mine = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(codeVerifier)));
    equal(claims.code_challenge, toBase64Url(mine), "code_challenge");
    equal(claims.code_challenge_method, "S256", "code_challenge_method");
  });

  // --- behaviour of write, with a fake digi.me ---------------------------------------------------
  // `over` may be deliberately wrong (the input cases), so it is not typed as WriteOptions.
  const vectorWrite = (fetchFn: typeof fetch, over: Record<string, unknown> = {}) =>
    sdk.init({ applicationId: "app-vector", baseUrl: VECTOR_BASE, fetch: fetchFn }).write({
      contractDetails: VECTOR_CONTRACT,
      userAccessToken: VECTOR_TOKEN,
      postboxId: "postbox-vector",
      publicKey: keys.postbox.publicPkcs1,
      data: { fileData: plainSmall, fileName: "vector.bin", fileDescriptor: DESCRIPTOR },
      ...over,
    });
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
    await checkWriteRequest(fake.seen[1] as SeenRequest, plainSmall);
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

  // --- the import API (pushData, readAccounts, deleteUser, v10 sign-in), with a fake digi.me ------
  importFakeCases(test);
  signInV10Cases(test);

  // --- against the local digi.me server -----------------------------------------------------------
  const contractDetails = {
    contractId: target.contractId,
    privateKey: keys.contract.privatePkcs1,
    redirectUri: target.redirectUri,
  };
  const client = () =>
    sdk.init({
      applicationId: target.applicationId,
      baseUrl: target.baseUrl,
      onboardUrl: target.onboardUrl,
    });
  let session: { userAccessToken: sdk.UserAccessToken; postboxId: string; publicKey: string } | undefined;
  const write = async (c: WriteCase, fileData: sdk.FileData, extra: Partial<sdk.WriteOptions> = {}) => {
    assert(session, "no session: authorization failed");
    const result = await client().write({
      contractDetails,
      userAccessToken: session.userAccessToken,
      postboxId: session.postboxId,
      publicKey: session.publicKey,
      data: { fileData, fileName: c.fileName, fileDescriptor: { ...DESCRIPTOR, mimeType: c.mimeType } },
      ...extra,
    });
    session.userAccessToken = result.userAccessToken;
    return result;
  };

  test("server: authorize, onboard (auto-approved), exchange the code for a verified token", async () => {
    const sdkClient = client();
    const { url, codeVerifier } = await sdkClient.getAuthorizeUrl({
      contractDetails,
      callback: target.redirectUri,
      state: "conformance",
    });
    const landing = await fetch(url); // onboarding redirects to the redirect URI, which echoes its query
    const back = (await landing.json()) as Record<string, string>;
    equal(back.success, "true", "success");
    equal(back.state, "conformance", "state");
    assert(back.code && back.postboxId && back.publicKey, "code, postboxId, publicKey");
    const userAccessToken = await sdkClient.exchangeCodeForToken({
      contractDetails,
      authorizationCode: back.code,
      codeVerifier,
    });
    assert(typeof userAccessToken?.accessToken?.value === "string", "accessToken.value");
    assert(typeof userAccessToken?.refreshToken?.expiry === "number", "refreshToken.expiry");
    session = { userAccessToken, postboxId: back.postboxId, publicKey: back.publicKey };
  });

  test("server: write bytes (Uint8Array) is delivered", async () => {
    const c = WRITES.bytes;
    equal((await write(c, patternBytes(c.seed, c.size))).status, "delivered", "status");
  });

  test("server: write a ReadableStream of 3 MiB is delivered, with progress", async () => {
    const c = WRITES.stream;
    const progress: number[] = [];
    const result = await write(c, patternStream(c.seed, c.size), {
      onProgress: (sent: number) => progress.push(sent),
    });
    equal(result.status, "delivered", "status");
    assert(progress.length > 0, "onProgress was called");
    assert(
      progress.every((v, i) => i === 0 || v >= (progress[i - 1] ?? 0)),
      "progress never goes back",
    );
    assert((progress.at(-1) ?? 0) >= c.size, "progress reaches the file size");
  });

  test("server: standalone write(config, options) of a Blob is delivered", async () => {
    const c = WRITES.blob;
    assert(session, "no session");
    const config = {
      applicationId: target.applicationId,
      baseUrl: target.baseUrl,
      onboardUrl: target.onboardUrl,
    };
    const result = await sdk.write(config, {
      contractDetails,
      userAccessToken: session.userAccessToken,
      postboxId: session.postboxId,
      publicKey: session.publicKey,
      data: {
        fileData: new Blob([patternBytes(c.seed, c.size)]),
        fileName: c.fileName,
        fileDescriptor: { ...DESCRIPTOR, mimeType: c.mimeType },
      },
    });
    equal(result.status, "delivered", "status");
    session.userAccessToken = result.userAccessToken;
  });

  test("server: seal, then sendSealed, is delivered", async () => {
    const c = WRITES.sealed;
    assert(session, "no session");
    const sdkClient = client();
    const sealed = await sdk.seal({
      publicKey: session.publicKey,
      fileData: patternBytes(c.seed, c.size),
      fileDescriptor: { ...DESCRIPTOR, mimeType: c.mimeType },
    });
    const result = await sdkClient.sendSealed({
      contractDetails,
      userAccessToken: session.userAccessToken,
      postboxId: session.postboxId,
      sealed,
      fileName: c.fileName,
    });
    equal(result.status, "delivered", "status");
    session.userAccessToken = result.userAccessToken;
  });

  test("server: an expired access token (pending) is refreshed once and the write delivered", async () => {
    assert(session, "no session");
    const before = JSON.stringify(session.userAccessToken);
    await expireTokens(target);
    const c = WRITES.refreshed;
    const result = await write(c, patternBytes(c.seed, c.size));
    equal(result.status, "delivered", "status");
    assert(JSON.stringify(result.userAccessToken) !== before, "the refreshed token is returned");
  });

  test("server: a stream spent before a refresh: ResealRequiredError, or resent from its Blob", async () => {
    assert(session, "no session");
    await expireTokens(target);
    const c = WRITES.resealed;
    try {
      // Where the SDK collected the stream into a Blob (browsers), it can send it again.
      equal((await write(c, patternStream(c.seed, c.size))).status, "delivered", "status");
    } catch (err) {
      if (!(err instanceof sdk.ResealRequiredError)) throw err;
      equal(err.code, "RESEAL_REQUIRED", "code");
      const fresh = err.userAccessToken;
      assert(typeof fresh?.accessToken?.value === "string", "the error carries the refreshed token");
      assert(fresh.accessToken.value !== session.userAccessToken.accessToken.value, "a new access token");
      session.userAccessToken = fresh;
    }
  });

  // --- the import API against the local digi.me server --------------------------------------------
  importServerCases(test, target, runtime);

  return run(runtime);
}
