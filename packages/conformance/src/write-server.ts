/**
 * Cases of sign-in and `write` against the local digi.me server (the `target`): authorize, onboard
 * and exchange, then writes of every kind, a refreshed token and a spent stream. The host decrypts
 * and compares each file the server received.
 */
import * as sdk from "@digime-edge/sdk-core";
import { patternBytes, patternStream, WRITES, type WriteCase } from "./data.ts";
import { assert, equal, type TestFn } from "./harness.ts";
import { DESCRIPTOR, expireTokens, keys, type Target } from "./vectors.ts";

/** Registers the cases against the local server; they share one session, in order. */
export function writeServerCases(test: TestFn, target: Target) {
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
}
