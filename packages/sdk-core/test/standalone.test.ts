/**
 * The standalone operations (`write(config, options)` and the others): the same behaviour as
 * `init(config)`'s methods, one context per configuration object (key sets fetched once), and a
 * bad configuration or bad options as a rejection before any request.
 */
import { describe, expect, it } from "vitest";
import {
  deleteUser,
  exchangeCodeForToken,
  getAuthorizeUrl,
  pushData,
  readAccounts,
  refreshToken,
  type SDKConfig,
  seal,
  sendSealed,
  TypeValidationError,
  write,
} from "../src/index.ts";
import { APPLICATION_ID, contractDetails, POSTBOX_PUBLIC_KEY } from "./support/fake-digime.ts";
import { sealForPostbox, useFakeDigime } from "./support/use-fake-digime.ts";

const fake = useFakeDigime();

const descriptor = { mimeType: "application/octet-stream", accounts: [{ accountId: "acc-1" }] };
const config = (): SDKConfig => ({ applicationId: APPLICATION_ID, baseUrl: fake.baseUrl });

describe("standalone operations", () => {
  it("write delivers a file, as init(config).write does", async () => {
    const plain = new Uint8Array([1, 2, 3, 4, 5]);
    const result = await write(config(), {
      contractDetails,
      userAccessToken: fake.issueTokens(),
      postboxId: "postbox-1",
      publicKey: POSTBOX_PUBLIC_KEY,
      data: { fileData: plain, fileName: "a.bin", fileDescriptor: descriptor },
    });
    expect(result.status).toBe("delivered");
    expect([...(fake.files[0]?.data ?? [])]).toEqual([...plain]);
    expect(fake.files[0]?.descriptor).toEqual(descriptor);
  });

  it("write refreshes a stale token, and keeps one key set cache per configuration object", async () => {
    const shared = config();
    for (let i = 0; i < 2; i++) {
      const token = fake.issueTokens();
      fake.expire(token.accessToken.value);
      const result = await write(shared, {
        contractDetails,
        userAccessToken: token,
        postboxId: "postbox-1",
        publicKey: POSTBOX_PUBLIC_KEY,
        data: { fileData: new Uint8Array(10), fileName: "a.bin", fileDescriptor: descriptor },
      });
      expect(result.status).toBe("delivered");
      expect(result.userAccessToken.accessToken.value).not.toBe(token.accessToken.value);
    }
    expect(fake.requests.filter((r) => r.route === "token")).toHaveLength(2);
    expect(fake.requests.filter((r) => r.route === "jwks")).toHaveLength(1);
  });

  it("sendSealed sends what seal made", async () => {
    const sealed = await sealForPostbox(new Uint8Array(7), descriptor);
    const result = await sendSealed(config(), {
      contractDetails,
      userAccessToken: fake.issueTokens(),
      postboxId: "pb-1",
      sealed,
      fileName: "s.bin",
    });
    expect(result.status).toBe("delivered");
    expect(fake.files[0]?.data.length).toBe(7);
  });

  it("refreshToken, getAuthorizeUrl and exchangeCodeForToken work without init", async () => {
    const fresh = await refreshToken(config(), { contractDetails, userAccessToken: fake.issueTokens() });
    expect(fresh.accessToken.value).toMatch(/^at-/);
    const { url, codeVerifier } = await getAuthorizeUrl(config(), {
      contractDetails,
      callback: "https://app.example/failed",
    });
    const code = fake.consent(new URL(url).searchParams.get("code") ?? "");
    const token = await exchangeCodeForToken(config(), {
      contractDetails,
      authorizationCode: code,
      codeVerifier,
    });
    expect(token.refreshToken.value).not.toBe("");
  });

  it("a bad configuration rejects before any request, as bad options do", async () => {
    const options = {
      contractDetails,
      userAccessToken: fake.issueTokens(),
      postboxId: "postbox-1",
      publicKey: POSTBOX_PUBLIC_KEY,
      data: { fileData: new Uint8Array(1), fileName: "a.bin", fileDescriptor: descriptor },
    };
    const pending = write({ applicationId: "a/b", baseUrl: fake.baseUrl }, options);
    await expect(pending).rejects.toBeInstanceOf(TypeValidationError);
    await expect(pending).rejects.toMatchObject({ issues: [{ path: ["applicationId"] }] });
    expect(fake.requests).toHaveLength(0);
  });

  describe("each refuses bad options before any request, naming the field", () => {
    const sealed = () =>
      seal({ publicKey: POSTBOX_PUBLIC_KEY, fileData: new Uint8Array(1), fileDescriptor: descriptor });
    const writeOptions = () => ({
      contractDetails,
      userAccessToken: fake.issueTokens(),
      postboxId: "postbox-1",
      publicKey: POSTBOX_PUBLIC_KEY,
      data: { fileData: new Uint8Array(1), fileName: "a.bin", fileDescriptor: descriptor },
    });
    const cases: [string, () => Promise<unknown>, string][] = [
      [
        "getAuthorizeUrl: a callback that is not a URL",
        () => getAuthorizeUrl(config(), { contractDetails, callback: "not a url" }),
        "callback",
      ],
      [
        "getAuthorizeUrl: a contract id with a slash",
        () =>
          getAuthorizeUrl(config(), {
            contractDetails: { ...contractDetails, contractId: "a/b" },
            callback: "https://app.example/cb",
          }),
        "contractDetails.contractId",
      ],
      [
        "exchangeCodeForToken: no authorization code",
        () =>
          exchangeCodeForToken(config(), {
            contractDetails,
            authorizationCode: undefined,
            codeVerifier: "v".repeat(43),
          } as never),
        "authorizationCode",
      ],
      [
        "exchangeCodeForToken: a contract id with a slash",
        () =>
          exchangeCodeForToken(config(), {
            contractDetails: { ...contractDetails, contractId: "a/b" },
            authorizationCode: "code",
            codeVerifier: "v".repeat(43),
          }),
        "contractDetails.contractId",
      ],
      [
        "sendSealed: a postboxId that is not one path segment",
        async () =>
          sendSealed(config(), {
            contractDetails,
            userAccessToken: fake.issueTokens(),
            postboxId: "../pb",
            sealed: await sealed(),
            fileName: "s.bin",
          }),
        "postboxId",
      ],
      [
        "sendSealed: a sealed file with a malformed iv",
        async () =>
          sendSealed(config(), {
            contractDetails,
            userAccessToken: fake.issueTokens(),
            postboxId: "pb-1",
            sealed: { ...(await sealed()), iv: "00" },
            fileName: "s.bin",
          }),
        "sealed.iv",
      ],
      [
        "write: a file name with a path",
        () => {
          const options = writeOptions();
          return write(config(), { ...options, data: { ...options.data, fileName: "dir/a.bin" } });
        },
        "data.fileName",
      ],
      [
        "refreshToken: a token without a refresh token",
        () =>
          refreshToken(config(), {
            contractDetails,
            userAccessToken: { accessToken: { value: "a", expiry: 1 } },
          } as never),
        "userAccessToken.refreshToken",
      ],
      [
        "pushData: a provider accountId with a line break",
        () =>
          pushData(config(), {
            type: "provider",
            contractDetails,
            userAccessToken: fake.issueTokens(),
            data: { resourceType: "Bundle", type: "transaction", entry: [] },
            standard: "fhir",
            version: "stu3",
            accountId: "a\r\nX-Evil: 1",
          }),
        "accountId",
      ],
      [
        "pushData: a library file name with a path",
        () =>
          pushData(config(), {
            type: "library",
            contractDetails,
            userAccessToken: fake.issueTokens(),
            data: { fileData: new Uint8Array(1), fileName: "dir/a.bin", fileDescriptor: descriptor },
          }),
        "data.fileName",
      ],
      [
        "readAccounts: no user access token",
        () => readAccounts(config(), { contractDetails, userAccessToken: undefined } as never),
        "userAccessToken",
      ],
      [
        "deleteUser: a contract id with a slash",
        () =>
          deleteUser(config(), {
            contractDetails: { ...contractDetails, contractId: "a/b" },
            userAccessToken: fake.issueTokens(),
          }),
        "contractDetails.contractId",
      ],
    ];
    for (const [name, call, path] of cases) {
      it(name, async () => {
        const error = await call().then(
          () => new Error("resolved"),
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(TypeValidationError);
        expect((error as TypeValidationError).issues.map((i) => i.path.join("."))).toContain(path);
        expect(fake.requests).toHaveLength(0);
      });
    }
  });
});
