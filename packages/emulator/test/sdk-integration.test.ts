import { createHash, randomBytes } from "node:crypto";
import type { ContractDetails, UserAccessToken } from "@digime-edge/sdk-core";
import { describe, expect, it } from "vitest";
import { download, latestFile, postboxFiles } from "./support/emulator.ts";
import { CALLBACK, REDIRECT_URI } from "./support/protocol.ts";
import {
  CONTRACT_PRIVATE_KEY,
  SDK_FILE_DESCRIPTOR as fileDescriptor,
  sdkSignIn,
  useSdkEmulator,
} from "./support/sdk.ts";

/** sdk-core drives the emulator end to end: the two sides were written apart, from the wire format. */

const contractDetails: ContractDetails = {
  contractId: "test-contract",
  privateKey: CONTRACT_PRIVATE_KEY,
  redirectUri: REDIRECT_URI,
};

const setup = useSdkEmulator();

/** getAuthorizeUrl -> the consent page (auto-approve) -> exchangeCodeForToken. */
async function onboard(userAccessToken?: UserAccessToken) {
  const { url, query, token } = await sdkSignIn(setup.sdk, {
    contractDetails,
    callback: CALLBACK,
    ...(userAccessToken && { userAccessToken }),
  });
  expect(url.startsWith(`${setup.emu.onboardUrl}authorize?`)).toBe(true);
  return { token, postboxId: query.get("postboxId") ?? "", publicKey: query.get("publicKey") ?? "" };
}

type Box = Awaited<ReturnType<typeof onboard>>;

/** `write` to the box's postbox as its user. */
const writeTo = (box: Box, fileData: Uint8Array | ReadableStream<Uint8Array>, fileName: string) =>
  setup.sdk.write({
    contractDetails,
    userAccessToken: box.token,
    postboxId: box.postboxId,
    publicKey: box.publicKey,
    data: { fileData, fileName, fileDescriptor },
  });

describe("sdk-core against the emulator", () => {
  it("authorizes, exchanges and writes buffers; the library returns exactly the bytes", async () => {
    const box = await onboard();
    expect(box.token.accessToken.expiry).toBeGreaterThan(Date.now());
    for (const size of [0, 1, 16, 1000, 1024 * 1024 + 3]) {
      const bytes = randomBytes(size);
      const result = await writeTo(box, bytes, `buf-${size}.bin`);
      expect(result.status).toBe("delivered");
      expect(result.userAccessToken).toEqual(box.token);
      const file = await latestFile(setup.emu, box.postboxId);
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
    const result = await writeTo(box, stream, "big.bin");
    expect(result.status).toBe("delivered");
    const file = await latestFile(setup.emu, box.postboxId);
    expect(file?.size).toBe(total);
    expect(file?.sha256).toBe(hash.digest("hex"));
    const served = createHash("sha256");
    const res = await fetch(file?.url ?? "");
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) served.update(part);
    expect(served.digest("hex")).toBe(file?.sha256);
  }, 120_000);

  it("refreshes once on pending and writes again; the refreshed token is returned", async () => {
    const box = await onboard();
    setup.emu.stats.reset();
    setup.emu.store.expireTokens({ postboxId: box.postboxId }, ["access"], Date.now());
    const bytes = Buffer.from("after refresh");
    const result = await writeTo(box, bytes, "refreshed.txt");
    expect(result.status).toBe("delivered");
    expect(result.userAccessToken.accessToken.value).not.toBe(box.token.accessToken.value);
    expect(setup.emu.stats.snapshot()).toMatchObject({ refreshes: 1, pending: 1, writes: 1 });
    expect((await download((await latestFile(setup.emu, box.postboxId))?.url ?? "")).equals(bytes)).toBe(
      true,
    );
    // The old refresh token was rotated away: refreshing with it now fails.
    await expect(
      setup.sdk.refreshToken({ contractDetails, userAccessToken: box.token }),
    ).rejects.toMatchObject({
      code: "InvalidToken",
    });
  });

  it("refreshes once on 401 InvalidToken (revoked access token)", async () => {
    const box = await onboard();
    setup.emu.stats.reset();
    setup.emu.store.revokeTokens({ value: box.token.accessToken.value }, Date.now());
    const result = await writeTo(box, Buffer.from("x"), "x.txt");
    expect(result.status).toBe("delivered");
    expect(setup.emu.stats.snapshot()).toMatchObject({ refreshes: 1, writes: 1 });
  });

  it("retries a 429 with Retry-After and a 503, then delivers", async () => {
    const box = await onboard();
    setup.emu.faults.set("postbox", { failNext: 2, statuses: [429, 503], retryAfterSeconds: 0 });
    try {
      const result = await writeTo(box, Buffer.from("retried"), "retried.txt");
      expect(result.status).toBe("delivered");
      expect(await postboxFiles(setup.emu, box.postboxId)).toHaveLength(1);
    } finally {
      setup.emu.faults.clear();
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
      setup.sdk.write({
        contractDetails,
        userAccessToken: box.token,
        postboxId: "pb_nope",
        publicKey: box.publicKey,
        data: { fileData: Buffer.from("x"), fileName: "x", fileDescriptor },
      }),
    ).rejects.toMatchObject({ code: "PostboxNotFound" });
    await expect(
      setup.sdk.getAuthorizeUrl({
        contractDetails: { ...contractDetails, redirectUri: "https://evil.example/" },
        callback: CALLBACK,
      }),
    ).rejects.toMatchObject({ code: "InvalidRedirectUri" });
  });
});
