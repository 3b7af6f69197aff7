/**
 * Cases of the package's surface, the contract and postbox keys in every PEM form (through a whole
 * write checked with WebCrypto) and the JWTs: sdk-core's signing and verifying against the vectors.
 */
import * as sdk from "@digime-edge/sdk-core";
import { assert, deepEqual, equal, rejects, type TestFn } from "./harness.ts";
import {
  fakeFetch,
  jsonResponse,
  splitJwt,
  toBase64Url,
  utf8,
  webCryptoSignPs512,
  webCryptoVerifyPs512,
} from "./util.ts";
import {
  DESCRIPTOR,
  keys,
  tokenServer,
  VECTOR_ANSWER_TOKEN,
  VECTOR_BASE,
  VECTOR_CONTRACT,
  VECTOR_TOKEN,
  vectors,
} from "./vectors.ts";
import {
  api,
  capturedWrite,
  checkWriteRequest,
  exchange,
  need,
  PLAIN_SMALL,
  RESPONSE_HEADER,
} from "./write-checks.ts";

/** Registers the package, keys and JWT cases. */
export function keyAndJwtCases(test: TestFn) {
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
  const keyForms = [
    ["contract private key PKCS#1", keys.contract.privatePkcs1, keys.postbox.publicSpki],
    ["contract private key PKCS#8", keys.contract.privatePkcs8, keys.postbox.publicSpki],
    ["postbox public key PKCS#1", keys.contract.privatePkcs8, keys.postbox.publicPkcs1],
    ["postbox public key SPKI", keys.contract.privatePkcs1, keys.postbox.publicSpki],
  ] as const;
  for (const [label, privateKey, publicKey] of keyForms) {
    test(`keys: ${label} imports; its write verifies and decrypts`, async () => {
      const { result, request } = await capturedWrite({ privateKey, publicKey, fileData: PLAIN_SMALL });
      equal(result.status, "delivered", "status");
      await checkWriteRequest(request, PLAIN_SMALL);
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
          data: { fileData: PLAIN_SMALL, fileName: "x.bin", fileDescriptor: DESCRIPTOR },
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

  const header = RESPONSE_HEADER;
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
}
