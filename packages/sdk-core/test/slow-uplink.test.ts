/**
 * The timeout of a streamed upload on a slow uplink: every chunk the runtime pulls grants the time
 * it takes at 64 KiB/s on top of `timeoutMs`, for every body the SDK streams (write, sendSealed,
 * pushData with the caller's own chunks), so a chunk that takes longer than `timeoutMs` to go out
 * does not time out while bytes flow. In fake time: the clock moves only while a chunk is on its way.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type FileData, NetworkError } from "../src/index.ts";
import { SLOWEST_UPLOAD_BYTES_PER_SECOND } from "../src/request/send.ts";
import { contractDetails, POSTBOX_PUBLIC_KEY } from "./support/fake-digime.ts";
import { slowUplink } from "./support/slow-uplink.ts";
import { streamOfBytes } from "./support/streams.ts";
import { sdkFor, sealForPostbox } from "./support/use-fake-digime.ts";

const TIMEOUT_MS = 1000;
const CHUNK = 256 * 1024;
/** What a 256 KiB chunk is granted on top of `timeoutMs`: 4 s. */
const GRANT_MS = (CHUNK / SLOWEST_UPLOAD_BYTES_PER_SECOND) * 1000;
/** The pace at which a 256 KiB chunk takes `ms`. */
const chunkTakes = (ms: number) => ({ msPerByte: ms / CHUNK });
/** The pace at which every chunk takes `share` of the time it is granted (at 64 KiB/s). */
const grantShare = (share: number) => ({ msPerByte: (share * 1000) / SLOWEST_UPLOAD_BYTES_PER_SECOND });

const descriptor = { mimeType: "application/octet-stream", accounts: [{ accountId: "acc-1" }] };
const userAccessToken = {
  accessToken: { value: "at-slow", expiry: Date.now() + 3600_000 },
  refreshToken: { value: "rt-slow", expiry: Date.now() + 3600_000 },
};
// Nothing listens there: the uplink's fetch answers every request itself.
const sdk = (fetch: typeof globalThis.fetch) =>
  sdkFor({ baseUrl: "http://127.0.0.1:9/v1.7/" }, { fetch, timeoutMs: TIMEOUT_MS, retry: false });
const delivered = () => Response.json({ status: "delivered", expires: 1 });
const imported = () => new Response(null, { status: 202 });
const push = (fileData: FileData) => ({
  type: "library" as const,
  contractDetails,
  userAccessToken,
  data: { fileData, fileDescriptor: descriptor },
});
const file = new Uint8Array(randomBytes(4 * CHUNK));
const sum = (sizes: number[]) => sizes.reduce((a, b) => a + b, 0);

// slowUplink() fakes the timers and drive() gives them back: a test that fails before drive must too.
afterEach(() => vi.useRealTimers());

describe("pushData with the caller's 256 KiB chunks, timeoutMs 1000", () => {
  it("each chunk taking 3 s (more than timeoutMs, less than its 4 s grant on top): pushed", async () => {
    const uplink = slowUplink(chunkTakes(3000), imported);
    const result = await uplink.drive(sdk(uplink.fetch).pushData(push(streamOfBytes(file, CHUNK))));
    expect(result.userAccessToken).toEqual(userAccessToken);
    expect(uplink.chunks).toEqual([CHUNK, CHUNK, CHUNK, CHUNK]);
  });

  it("the grant is exact: a chunk may take timeoutMs + 4 s less 1 ms, not timeoutMs + 4 s", async () => {
    const edge = slowUplink(chunkTakes(TIMEOUT_MS + GRANT_MS - 1), imported);
    await expect(
      edge.drive(sdk(edge.fetch).pushData(push(streamOfBytes(file, CHUNK)))),
    ).resolves.toBeDefined();
    expect(edge.chunks).toHaveLength(4);
    const over = slowUplink(chunkTakes(TIMEOUT_MS + GRANT_MS), imported);
    const error = await over
      .drive(sdk(over.fetch).pushData(push(streamOfBytes(file, CHUNK))))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: "TIMEOUT", delivery: "unknown" });
    expect(over.chunks).toEqual([CHUNK]);
  });

  it("each chunk taking 6 s (more than timeoutMs + 4 s): TIMEOUT, delivery unknown", async () => {
    const uplink = slowUplink(chunkTakes(6000), imported);
    const error = await uplink
      .drive(sdk(uplink.fetch).pushData(push(streamOfBytes(file, CHUNK))))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "NetworkError", code: "TIMEOUT", delivery: "unknown" });
    expect(uplink.chunks).toEqual([CHUNK]);
  });

  it("4 chunks read at once, then sent at 3 s each (12 s): their grants add up to 16 s, pushed", async () => {
    const uplink = slowUplink({ ...chunkTakes(3000), readAhead: 4 }, imported);
    const result = await uplink.drive(sdk(uplink.fetch).pushData(push(streamOfBytes(file, CHUNK))));
    expect(result.userAccessToken).toEqual(userAccessToken);
    expect(uplink.chunks).toEqual([CHUNK, CHUNK, CHUNK, CHUNK]);
  });

  it("4 chunks read at once, then sent at 5 s each (20 s, over 16 s + timeoutMs): TIMEOUT", async () => {
    const uplink = slowUplink({ ...chunkTakes(5000), readAhead: 4 }, imported);
    const error = await uplink
      .drive(sdk(uplink.fetch).pushData(push(streamOfBytes(file, CHUNK))))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "NetworkError", code: "TIMEOUT", delivery: "unknown" });
    // Cut off at 17 s, while the 4th chunk was on its way.
    expect(uplink.chunks).toEqual([CHUNK, CHUNK, CHUNK, CHUNK]);
  });

  it("a body the runtime never pulls gets no grant: it times out at timeoutMs, not-sent", async () => {
    const early = slowUplink({ unreadMs: TIMEOUT_MS - 1 }, imported);
    await expect(early.drive(sdk(early.fetch).pushData(push(file)))).resolves.toBeDefined();
    const late = slowUplink({ unreadMs: TIMEOUT_MS }, imported);
    const error = await late.drive(sdk(late.fetch).pushData(push(file))).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "NetworkError", code: "TIMEOUT", delivery: "not-sent" });
    expect(late.chunks).toEqual([]);
  });
});

describe("write and sendSealed (1 MiB ciphertext chunks), timeoutMs 1000", () => {
  // A stream is sealed in 1 MiB chunks (bytes are sent in 64 KiB views).
  const writeOptions = () => ({
    contractDetails,
    userAccessToken,
    postboxId: "postbox-1",
    publicKey: POSTBOX_PUBLIC_KEY,
    data: { fileData: streamOfBytes(file, CHUNK), fileName: "file.bin", fileDescriptor: descriptor },
  });

  it("a write whose every chunk takes 3/4 of its grant (12 s for 1 MiB): delivered, whole", async () => {
    const uplink = slowUplink(grantShare(0.75), delivered);
    const result = await uplink.drive(sdk(uplink.fetch).write(writeOptions()));
    expect(result.status).toBe("delivered");
    // The multipart head, the ciphertext (a 1 MiB chunk that took 12 s, then its padding), the tail.
    expect(uplink.chunks).toHaveLength(4);
    expect(uplink.chunks[1]).toBe(file.length);
    expect(sum(uplink.chunks)).toBeGreaterThan(file.length + 16);
  });

  it("a write whose chunks take twice their grant: TIMEOUT, delivery unknown", async () => {
    const uplink = slowUplink(grantShare(2), delivered);
    const error = await uplink.drive(sdk(uplink.fetch).write(writeOptions())).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "NetworkError", code: "TIMEOUT", delivery: "unknown" });
    // Cut off while its 1 MiB chunk was on its way (32 s, granted 16 s + 1 s).
    expect(uplink.chunks).toEqual([expect.any(Number), file.length]);
  });

  it("sendSealed of a sealed stream at 3/4 of the grant: delivered", async () => {
    const sealed = await sealForPostbox(streamOfBytes(file, CHUNK), descriptor);
    expect(sealed.body).toBeInstanceOf(ReadableStream);
    const uplink = slowUplink(grantShare(0.75), delivered);
    const result = await uplink.drive(
      sdk(uplink.fetch).sendSealed({
        contractDetails,
        userAccessToken,
        postboxId: "postbox-1",
        sealed,
        fileName: "file.bin",
      }),
    );
    expect(result.status).toBe("delivered");
    expect(sum(uplink.chunks)).toBeGreaterThan(file.length);
    expect(uplink.chunks).toContain(4 * CHUNK);
  });
});
