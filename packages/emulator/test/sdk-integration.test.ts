import { createHash, randomBytes } from "node:crypto";
import { type ContractDetails, init, type UserAccessToken } from "@digime-edge/sdk-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../src/index.ts";
import { approvedRedirect, download, latestFile, postboxFiles, start } from "./support/emulator.ts";
import { CALLBACK, contractKeys, REDIRECT_URI } from "./support/protocol.ts";

/** sdk-core drives the emulator end to end: the two sides were written apart, from the wire format. */

let emu: RunningEmulator;
let sdk: ReturnType<typeof init>;
const contractDetails: ContractDetails = {
  contractId: "test-contract",
  privateKey: contractKeys.privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
  redirectUri: REDIRECT_URI,
};
const fileDescriptor = {
  mimeType: "application/octet-stream",
  accounts: [{ accountId: "sdk" }],
  tags: ["sdk"],
};

beforeAll(async () => {
  emu = await start({ autoApprove: true });
  sdk = init({
    applicationId: "test-app",
    baseUrl: emu.baseUrl,
    onboardUrl: emu.onboardUrl,
    retry: { limit: 2, baseDelayMs: 10, maxRetryAfterMs: 2_000 },
  });
});
afterAll(() => emu.close());

/** getAuthorizeUrl -> the consent page (auto-approve) -> exchangeCodeForToken. */
async function onboard(userAccessToken?: UserAccessToken) {
  const { url, codeVerifier } = await sdk.getAuthorizeUrl({
    contractDetails,
    callback: CALLBACK,
    state: "sdk-state",
    ...(userAccessToken && { userAccessToken }),
  });
  expect(url.startsWith(`${emu.onboardUrl}authorize?`)).toBe(true);
  const query = await approvedRedirect(url, "sdk-state");
  const token = await sdk.exchangeCodeForToken({
    contractDetails,
    authorizationCode: query.get("code") ?? "",
    codeVerifier,
  });
  return { token, postboxId: query.get("postboxId") ?? "", publicKey: query.get("publicKey") ?? "" };
}

describe("sdk-core against the emulator", () => {
  it("authorizes, exchanges and writes buffers; the library returns exactly the bytes", async () => {
    const box = await onboard();
    expect(box.token.accessToken.expiry).toBeGreaterThan(Date.now());
    for (const size of [0, 1, 16, 1000, 1024 * 1024 + 3]) {
      const bytes = randomBytes(size);
      const result = await sdk.write({
        contractDetails,
        userAccessToken: box.token,
        postboxId: box.postboxId,
        publicKey: box.publicKey,
        data: { fileData: bytes, fileName: `buf-${size}.bin`, fileDescriptor },
      });
      expect(result.status).toBe("delivered");
      expect(result.userAccessToken).toEqual(box.token);
      const file = await latestFile(emu, box.postboxId);
      expect(file).toMatchObject({ fileName: `buf-${size}.bin`, size, metadata: fileDescriptor });
      expect((await download(file?.url ?? "")).equals(bytes)).toBe(true);
    }
  });

  it("streams a 256 MiB ReadableStream; the library has the same size and SHA-256", async () => {
    const box = await onboard();
    const total = 256 * 1024 * 1024;
    const chunk = randomBytes(1024 * 1024);
    const hash = createHash("sha256");
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= total) return controller.close();
        const part = new Uint8Array(chunk);
        part[0] = sent / chunk.length; // every MiB differs
        hash.update(part);
        sent += part.length;
        controller.enqueue(part);
      },
    });
    const result = await sdk.write({
      contractDetails,
      userAccessToken: box.token,
      postboxId: box.postboxId,
      publicKey: box.publicKey,
      data: { fileData: stream, fileName: "big.bin", fileDescriptor },
    });
    expect(result.status).toBe("delivered");
    const file = await latestFile(emu, box.postboxId);
    expect(file?.size).toBe(total);
    expect(file?.sha256).toBe(hash.digest("hex"));
    const served = createHash("sha256");
    const res = await fetch(file?.url ?? "");
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) served.update(part);
    expect(served.digest("hex")).toBe(file?.sha256);
  }, 120_000);

  it("refreshes once on pending and writes again; the refreshed token is returned", async () => {
    const box = await onboard();
    emu.stats.reset();
    emu.store.expireTokens({ postboxId: box.postboxId }, ["access"], Date.now());
    const bytes = Buffer.from("after refresh");
    const result = await sdk.write({
      contractDetails,
      userAccessToken: box.token,
      postboxId: box.postboxId,
      publicKey: box.publicKey,
      data: { fileData: bytes, fileName: "refreshed.txt", fileDescriptor },
    });
    expect(result.status).toBe("delivered");
    expect(result.userAccessToken.accessToken.value).not.toBe(box.token.accessToken.value);
    expect(emu.stats.snapshot()).toMatchObject({ refreshes: 1, pending: 1, writes: 1 });
    expect((await download((await latestFile(emu, box.postboxId))?.url ?? "")).equals(bytes)).toBe(true);
    // The old refresh token was rotated away: refreshing with it now fails.
    await expect(sdk.refreshToken({ contractDetails, userAccessToken: box.token })).rejects.toMatchObject({
      code: "InvalidToken",
    });
  });

  it("refreshes once on 401 InvalidToken (revoked access token)", async () => {
    const box = await onboard();
    emu.stats.reset();
    emu.store.revokeTokens({ value: box.token.accessToken.value }, Date.now());
    const result = await sdk.write({
      contractDetails,
      userAccessToken: box.token,
      postboxId: box.postboxId,
      publicKey: box.publicKey,
      data: { fileData: Buffer.from("x"), fileName: "x.txt", fileDescriptor },
    });
    expect(result.status).toBe("delivered");
    expect(emu.stats.snapshot()).toMatchObject({ refreshes: 1, writes: 1 });
  });

  it("retries a 429 with Retry-After and a 503, then delivers", async () => {
    const box = await onboard();
    emu.faults.set("postbox", { failNext: 2, statuses: [429, 503], retryAfterSeconds: 0 });
    try {
      const result = await sdk.write({
        contractDetails,
        userAccessToken: box.token,
        postboxId: box.postboxId,
        publicKey: box.publicKey,
        data: { fileData: Buffer.from("retried"), fileName: "retried.txt", fileDescriptor },
      });
      expect(result.status).toBe("delivered");
      expect(await postboxFiles(emu, box.postboxId)).toHaveLength(1);
    } finally {
      emu.faults.clear();
    }
  });

  it("links the same library when authorizing again with the user's token", async () => {
    const first = await onboard();
    const second = await onboard(first.token);
    expect(second.postboxId).toBe(first.postboxId);
  });

  it("surfaces the emulator's refusals as errors with digi.me's codes", async () => {
    const box = await onboard();
    await expect(
      sdk.write({
        contractDetails,
        userAccessToken: box.token,
        postboxId: "pb_nope",
        publicKey: box.publicKey,
        data: { fileData: Buffer.from("x"), fileName: "x", fileDescriptor },
      }),
    ).rejects.toMatchObject({ code: "PostboxNotFound" });
    await expect(
      sdk.getAuthorizeUrl({
        contractDetails: { ...contractDetails, redirectUri: "https://evil.example/" },
        callback: CALLBACK,
      }),
    ).rejects.toMatchObject({ code: "InvalidRedirectUri" });
  });
});
