/**
 * Cases of the envelope (key wrap, metadata, AES-256-CBC one-shot and streamed) against the
 * official vectors and WebCrypto, every form of a write's file, and the PKCE pair of authorize.
 */
import * as sdk from "@digime-edge/sdk-core";
import * as internal from "@digime-edge/sdk-core/internal";
import { patternBytes, patternStream } from "./data.ts";
import { assert, bytesEqual, equal, type TestFn } from "./harness.ts";
import {
  fakeFetch,
  fromBase64,
  fromHex,
  jsonResponse,
  openEnvelope,
  splitJwt,
  toBase64,
  toBase64Url,
  utf8,
  webCryptoCbc,
  webCryptoSignPs512,
} from "./util.ts";
import { DESCRIPTOR, keys, VECTOR_BASE, VECTOR_CONTRACT, vectors } from "./vectors.ts";
import { capturedWrite, checkWriteRequest, need, RESPONSE_HEADER } from "./write-checks.ts";

/** Registers the envelope and PKCE cases. */
export function envelopeCases(test: TestFn) {
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
      RESPONSE_HEADER,
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
}
