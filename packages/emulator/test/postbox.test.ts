import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { RunningEmulator } from "../src/index.ts";
import { Client, type Onboarded } from "./support/client.ts";
import { cutMidUpload, download, errorOf, latestFile, start, useEmulator } from "./support/emulator.ts";
import {
  aesCbc,
  DESCRIPTOR,
  MULTIPART_TYPE,
  makeEnvelope,
  makeRsa,
  multipart,
  sha256,
  signRequest,
  streamingMultipart,
  testContract,
} from "./support/protocol.ts";

let emu: RunningEmulator;
let client: Client;
let box: Onboarded;

useEmulator((setup) => ({ emu, client, box } = setup), { onboard: true });

const filesOf = async (userId: string) =>
  ((await (await fetch(`${emu.libraryUrl}/api/users/${userId}/files`)).json()) as { files: { id: string }[] })
    .files;

describe("permission-access/postbox", () => {
  it("delivers a file: the library returns the exact bytes, metadata, size and sha256", async () => {
    const data = Buffer.from(JSON.stringify({ hello: "world", n: [1, 2, 3] }));
    const descriptor = { ...DESCRIPTOR, reference: ["ref-1"] };
    const res = await client.write(box, data, { fileName: "hello.json", descriptor });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "delivered", expires: box.accessExpiry });
    const file = await latestFile(emu, box.postboxId);
    expect(file).toMatchObject({
      userId: box.userId,
      postboxId: box.postboxId,
      clientId: client.clientId,
      fileName: "hello.json",
      mimeType: "application/json",
      metadata: descriptor,
      size: data.length,
      sha256: sha256(data),
    });
    const dl = await fetch(file?.url ?? "");
    expect(dl.headers.get("content-type")).toBe("application/json");
    expect(dl.headers.get("content-disposition")).toContain('filename="hello.json"');
    expect(Buffer.from(await dl.arrayBuffer()).equals(data)).toBe(true);
    expect((await filesOf(box.userId)).map((f) => f.id)).toContain(file?.id);
  });

  it("delivers empty, one-block and odd-sized files", async () => {
    for (const size of [0, 1, 15, 16, 17, 65_543]) {
      const data = randomBytes(size);
      const res = await client.write(box, data, { fileName: `f${size}.bin` });
      expect(res.status, `size ${size}`).toBe(200);
      const file = await latestFile(emu, box.postboxId);
      expect(file?.size).toBe(size);
      expect((await download(file?.url ?? "")).equals(data)).toBe(true);
    }
  });

  it("streams a 64 MiB upload to disk and back", async () => {
    const envelope = makeEnvelope(box.publicKey, DESCRIPTOR);
    const size = 64 * 1024 * 1024 + 5;
    const body = streamingMultipart("big.bin", envelope.key, envelope.iv, size);
    const res = await client.writeRaw(
      box.postboxId,
      { access_token: box.accessToken, ...envelope.claims },
      body.stream,
    );
    expect(res.status).toBe(200);
    const file = await latestFile(emu, box.postboxId);
    expect(file).toMatchObject({ size, sha256: body.digest(), fileName: "big.bin" });
    expect(sha256(await download(file?.url ?? ""))).toBe(file?.sha256);
  });

  const refusal = async (res: Response, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect((await errorOf(res)).code).toBe(code);
  };

  it("refuses a key wrapped for another key, or not base64 (400 InvalidSymmetricalKey)", async () => {
    const other = makeRsa().publicKey.export({ type: "pkcs1", format: "pem" }).toString();
    const envelope = makeEnvelope(other, DESCRIPTOR);
    const body = multipart("x.bin", aesCbc(envelope.key, envelope.iv, Buffer.from("x")));
    await refusal(
      await client.writeRaw(box.postboxId, { access_token: box.accessToken, ...envelope.claims }, body),
      400,
      "InvalidSymmetricalKey",
    );
    await refusal(
      await client.writeRaw(
        box.postboxId,
        { access_token: box.accessToken, ...envelope.claims, symmetrical_key: "@@not base64@@" },
        body,
      ),
      400,
      "InvalidSymmetricalKey",
    );
  });

  it("refuses metadata that does not decrypt or is no fileDescriptor (400 InvalidMetadata)", async () => {
    const good = makeEnvelope(box.publicKey, DESCRIPTOR);
    const foreign = makeEnvelope(box.publicKey, DESCRIPTOR);
    const body = multipart("x.bin", aesCbc(good.key, good.iv, Buffer.from("x")));
    await refusal(
      await client.writeRaw(
        box.postboxId,
        { access_token: box.accessToken, ...good.claims, metadata: foreign.claims.metadata },
        body,
      ),
      400,
      "InvalidMetadata",
    );
    const notDescriptor = makeEnvelope(box.publicKey, { hello: 1 });
    await refusal(
      await client.writeRaw(box.postboxId, { access_token: box.accessToken, ...notDescriptor.claims }, body),
      400,
      "InvalidMetadata",
    );
    await refusal(
      await client.writeRaw(box.postboxId, { access_token: box.accessToken, ...good.claims, iv: "zz" }, body),
      400,
      "InvalidRequest",
    );
  });

  it("refuses a truncated or foreign ciphertext (400 InvalidFile) and stores nothing", async () => {
    const before = emu.store.countFiles();
    const envelope = makeEnvelope(box.publicKey, DESCRIPTOR);
    const cipher = aesCbc(envelope.key, envelope.iv, randomBytes(100_000));
    const claims = { access_token: box.accessToken, ...envelope.claims };
    await refusal(
      await client.writeRaw(box.postboxId, claims, multipart("t.bin", cipher.subarray(0, cipher.length - 5))),
      400,
      "InvalidFile",
    );
    await refusal(
      await client.writeRaw(box.postboxId, claims, multipart("t.bin", randomBytes(4096))),
      400,
      "InvalidFile",
    );
    expect(emu.store.countFiles()).toBe(before);
    expect(emu.store.pendingUploads()).toEqual([]);
  });

  it("refuses malformed multipart bodies (400 InvalidRequest) and stores nothing", async () => {
    const before = emu.store.countFiles();
    const envelope = makeEnvelope(box.publicKey, DESCRIPTOR);
    const claims = { access_token: box.accessToken, ...envelope.claims };
    const full = multipart("t.bin", aesCbc(envelope.key, envelope.iv, randomBytes(1000)));
    // Body cut before the closing boundary.
    await refusal(
      await client.writeRaw(box.postboxId, claims, full.subarray(0, full.length - 30)),
      400,
      "InvalidRequest",
    );
    // Not multipart at all, and multipart without a "file" part.
    await refusal(
      await client.writeRaw(box.postboxId, claims, full, "application/octet-stream"),
      400,
      "InvalidRequest",
    );
    const fieldOnly = Buffer.from(
      `--B\r\nContent-Disposition: form-data; name="other"\r\n\r\nvalue\r\n--B--\r\n`,
    );
    await refusal(
      await client.writeRaw(box.postboxId, claims, fieldOnly, "multipart/form-data; boundary=B"),
      400,
      "InvalidRequest",
    );
    expect(emu.store.countFiles()).toBe(before);
    expect(emu.store.pendingUploads()).toEqual([]);
  });

  it("survives a client that disconnects mid-upload, keeping nothing", async () => {
    const before = emu.store.countFiles();
    const envelope = makeEnvelope(box.publicKey, DESCRIPTOR);
    const full = multipart("cut.bin", aesCbc(envelope.key, envelope.iv, randomBytes(8 * 1024 * 1024)));
    const jwt = await signRequest({
      client_id: client.clientId,
      access_token: box.accessToken,
      ...envelope.claims,
    });
    const url = new URL(`${emu.baseUrl}permission-access/postbox/${box.postboxId}`);
    const headers = {
      authorization: `Bearer ${jwt}`,
      "content-type": MULTIPART_TYPE,
      "content-length": full.length,
    };
    const during = await cutMidUpload(emu, url, headers, full.subarray(0, 4 * 1024 * 1024));
    // The upload was on its way to disk, and is gone once the connection dropped.
    expect(during).toHaveLength(1);
    expect(emu.store.pendingUploads()).toEqual([]);
    expect(emu.store.countFiles()).toBe(before);
    expect((await fetch(`${emu.url}/healthz`)).status).toBe(200);
  });

  it("responds with pending for an expired access token; after a refresh the write is delivered", async () => {
    const mine = await client.onboard();
    const expire = await fetch(`${emu.adminUrl}/expire-tokens`, {
      method: "POST",
      body: JSON.stringify({ postboxId: mine.postboxId }),
    });
    expect(((await expire.json()) as { expired: number }).expired).toBe(1);
    const pendingBefore = emu.stats.snapshot().pending;
    const res = await client.write(mine, Buffer.from("later"));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; expires: number };
    expect(body.status).toBe("pending");
    expect(body.expires).toBeLessThanOrEqual(Date.now());
    expect(emu.stats.snapshot().pending).toBe(pendingBefore + 1);
    expect(await filesOf(mine.userId)).toEqual([]);
    const fresh = await client.tokensOf(await client.refresh(mine.refreshToken));
    const again = await client.write(
      { ...mine, accessToken: fresh.access_token.value },
      Buffer.from("later"),
    );
    expect(((await again.json()) as { status: string }).status).toBe("delivered");
    expect((await download((await latestFile(emu, mine.postboxId))?.url ?? "")).toString()).toBe("later");
  });

  it("responds with pending for a large streamed upload too, reading the body to its end first", async () => {
    const mine = await client.onboard();
    emu.store.expireTokens({ userId: mine.userId }, ["access"], Date.now());
    const envelope = makeEnvelope(mine.publicKey, DESCRIPTOR);
    const body = streamingMultipart("big.bin", envelope.key, envelope.iv, 8 * 1024 * 1024);
    const res = await client.writeRaw(
      mine.postboxId,
      { access_token: mine.accessToken, ...envelope.claims },
      body.stream,
    );
    expect(((await res.json()) as { status: string }).status).toBe("pending");
  });

  it("honours a short access token lifetime, judged by the emulator's clock (expired at its end)", async () => {
    let clock = Date.now();
    const other = await start({ autoApprove: true, accessTokenTtlMs: 50, now: () => clock });
    try {
      const otherClient = new Client(other);
      const mine = await otherClient.onboard();
      const statusOf = async (res: Response) => ((await res.json()) as { status: string }).status;
      clock += 49;
      expect(await statusOf(await otherClient.write(mine, Buffer.from("x")))).toBe("delivered");
      clock += 1;
      expect(await statusOf(await otherClient.write(mine, Buffer.from("x")))).toBe("pending");
    } finally {
      await other.close();
    }
  });

  it("refuses unknown, revoked and foreign tokens, unknown postboxes and read-only contracts", async () => {
    await refusal(
      await client.write({ ...box, accessToken: "at_nope" }, Buffer.from("x")),
      401,
      "InvalidToken",
    );
    await refusal(
      await client.write({ ...box, postboxId: "pb_nope" }, Buffer.from("x")),
      404,
      "PostboxNotFound",
    );
    const other = await client.onboard();
    await refusal(
      await client.write({ ...box, accessToken: other.accessToken }, Buffer.from("x")),
      403,
      "InsufficientScope",
    );
    const revoke = await fetch(`${emu.adminUrl}/revoke-tokens`, {
      method: "POST",
      body: JSON.stringify({ accessToken: other.accessToken }),
    });
    expect(((await revoke.json()) as { revoked: number }).revoked).toBe(1);
    await refusal(await client.write(other, Buffer.from("x")), 401, "InvalidToken");

    const key = makeRsa();
    emu.registerContract(
      testContract({
        contractId: "read-only",
        publicKey: key.publicKey.export({ type: "pkcs1", format: "pem" }).toString(),
        write: false,
      }),
    );
    const reader = new Client(emu, "test-app_read-only", key.privateKey);
    const readerBox = await reader.onboard();
    await refusal(await reader.write(readerBox, Buffer.from("x")), 403, "InsufficientScope");
    // A contract writing to a postbox of another contract.
    await refusal(
      await reader.write({ ...readerBox, postboxId: box.postboxId }, Buffer.from("x")),
      403,
      "InsufficientScope",
    );
  });

  it("checks the request JWT like every route (signature, nonce replay, timestamp)", async () => {
    const envelope = makeEnvelope(box.publicKey, DESCRIPTOR);
    const body = multipart("x.bin", aesCbc(envelope.key, envelope.iv, Buffer.from("x")));
    const claims = { access_token: box.accessToken, ...envelope.claims };
    const bad = new Client(emu, client.clientId, makeRsa().privateKey);
    await refusal(await bad.writeRaw(box.postboxId, claims, body), 401, "InvalidSignature");
    await refusal(
      await client.writeRaw(box.postboxId, { ...claims, timestamp: Date.now() - 3_600_000 }, body),
      401,
      "InvalidTimestamp",
    );
    const nonce = "n".repeat(32);
    expect((await client.writeRaw(box.postboxId, { ...claims, nonce }, body)).status).toBe(200);
    await refusal(await client.writeRaw(box.postboxId, { ...claims, nonce }, body), 401, "ReplayedNonce");
  });

  it("works through app.request() as well (no Node socket)", async () => {
    const envelope = makeEnvelope(box.publicKey, DESCRIPTOR);
    const jwt = await signRequest({
      client_id: client.clientId,
      access_token: box.accessToken,
      ...envelope.claims,
    });
    const res = await emu.app.request(`/v1.7/permission-access/postbox/${box.postboxId}`, {
      method: "POST",
      headers: { authorization: `Bearer ${jwt}`, "content-type": MULTIPART_TYPE },
      body: multipart("inproc.txt", aesCbc(envelope.key, envelope.iv, Buffer.from("in-process"))),
    });
    expect(await res.json()).toMatchObject({ status: "delivered" });
    expect((await download((await latestFile(emu, box.postboxId))?.url ?? "")).toString()).toBe("in-process");
  });
});
