/**
 * The import API's cases against the local server's import contract (official SDK 10 on): sign-in,
 * accounts, both pushes, the token's refresh, a spent stream, errors, the user's deletion. The host
 * checks every request it recorded with node:crypto and jose (runners/check-imports.mjs).
 */
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
import { assert, deepEqual, equal, rejects, type TestFn } from "./harness.ts";
import { expireTokens, keys, type Target } from "./vectors.ts";

/** The cases against the local server, with its import contract; the host checks what it recorded. */
export function importServerCases(test: TestFn, target: Target, runtime: string) {
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
