/**
 * Node side: sdk-core built for Node seals files that node:crypto opens, the Worker's envelope
 * checks accept what it seals (and refuse it altered), and the typed client seals and streams an
 * upload from Node, sealing afresh when told the token was refreshed after the body was sent.
 */
import {
  constants,
  createDecipheriv,
  generateKeyPairSync,
  type KeyObject,
  privateDecrypt,
} from "node:crypto";
import { Readable } from "node:stream";
import { postboxKeyModulusBytes, type SealedFile, seal } from "@digime-edge/sdk-core";
import { describe, expect, it } from "vitest";
import { createClient, EdgeClientError } from "../../src/client.ts";
import {
  isSealedBodyLength,
  maxSealedBodyBytes,
  parseSealedEnvelope,
  SEALED_HEADERS,
  type SealedEnvelope,
} from "../../src/lib/sealed-envelope.ts";

const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PUBLIC_PEM = publicKey.export({ type: "pkcs1", format: "pem" }).toString();
const DESCRIPTOR = { mimeType: "text/plain", accounts: [{ accountId: "node-user" }], tags: ["n"] };

function randomFile(size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 2654435761) >>> 24;
  return out;
}

/** Opens a sealed file as digi.me does, with node:crypto only. */
function open(
  key: KeyObject,
  envelope: { iv: string; symmetricalKey: string; metadata: string },
  body: Uint8Array,
) {
  const aesKey = privateDecrypt(
    { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" },
    Buffer.from(envelope.symmetricalKey, "base64"),
  );
  const iv = Buffer.from(envelope.iv, "hex");
  const decrypt = (data: Uint8Array) => {
    const decipher = createDecipheriv("aes-256-cbc", aesKey, iv);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  };
  return {
    descriptor: JSON.parse(decrypt(Buffer.from(envelope.metadata, "base64")).toString("utf8")) as unknown,
    file: new Uint8Array(decrypt(body)),
  };
}

async function bodyOf(sealed: SealedFile): Promise<Uint8Array> {
  if (sealed.body instanceof Uint8Array) return sealed.body;
  return new Uint8Array(await new Response(sealed.body).arrayBuffer());
}

const headersOf = (sealed: Pick<SealedFile, "iv" | "symmetricalKey" | "metadata">) =>
  new Headers({
    [SEALED_HEADERS.iv]: sealed.iv,
    [SEALED_HEADERS.symmetricalKey]: sealed.symmetricalKey,
    [SEALED_HEADERS.metadata]: sealed.metadata,
  });

describe("sdk-core seals in Node; node:crypto opens it", () => {
  it.each([
    ["bytes", (f: Uint8Array<ArrayBuffer>) => f],
    ["a Blob", (f: Uint8Array<ArrayBuffer>) => new Blob([f])],
    [
      "a Node stream (as a web stream)",
      (f: Uint8Array<ArrayBuffer>) =>
        Readable.toWeb(Readable.from([f.slice(0, 1000), f.slice(1000)])) as ReadableStream<Uint8Array>,
    ],
  ])("from %s: byte for byte, and the Worker's checks accept it", async (_what, input) => {
    const file = randomFile(3 * 1024 * 1024 + 5);
    const sealed = await seal({ publicKey: PUBLIC_PEM, fileData: input(file), fileDescriptor: DESCRIPTOR });
    const body = await bodyOf(sealed);
    if (sealed.size !== undefined) expect(sealed.size).toBe(body.length);
    expect(isSealedBodyLength(body.length)).toBe(true);
    expect(body.length).toBeLessThanOrEqual(maxSealedBodyBytes(file.length));

    const opened = open(privateKey, sealed, body);
    expect(opened.descriptor).toEqual(DESCRIPTOR);
    expect(Buffer.from(opened.file).equals(Buffer.from(file))).toBe(true);

    const envelope = parseSealedEnvelope((name) => headersOf(sealed).get(name));
    expect(envelope).toMatchObject({ ok: true, iv: sealed.iv, wrappedKeyBytes: 256 });
    expect((envelope as SealedEnvelope).wrappedKeyBytes).toBe(postboxKeyModulusBytes(PUBLIC_PEM));
  });

  it("the Worker's checks refuse an altered envelope", async () => {
    const sealed = await seal({
      publicKey: PUBLIC_PEM,
      fileData: randomFile(10),
      fileDescriptor: DESCRIPTOR,
    });
    const check = (overrides: Record<string, string>) => {
      const headers = headersOf(sealed);
      for (const [k, v] of Object.entries(overrides)) headers.set(k, v);
      const result = parseSealedEnvelope((name) => headers.get(name));
      return result.ok ? "ok" : result.code;
    };
    expect(check({})).toBe("ok");
    expect(check({ [SEALED_HEADERS.iv]: sealed.iv.slice(2) })).toBe("BAD_IV");
    expect(check({ [SEALED_HEADERS.iv]: sealed.iv.toUpperCase().replace(/^../, "G0") })).toBe("BAD_IV");
    expect(check({ [SEALED_HEADERS.symmetricalKey]: sealed.symmetricalKey.replace(/=*$/, "") })).toBe(
      "BAD_SYMMETRICAL_KEY",
    );
    const metadata = Buffer.from(sealed.metadata, "base64");
    expect(check({ [SEALED_HEADERS.metadata]: metadata.subarray(1).toString("base64") })).toBe(
      "BAD_METADATA",
    );
    // base64url is not base64 (a "-" in place of the first character: deterministic, whatever the
    // random key made the metadata).
    expect(check({ [SEALED_HEADERS.metadata]: `-${sealed.metadata.slice(1)}` })).toBe("BAD_METADATA");
  });
});

/** A stand-in for the Worker: serves the session, opens every sealed upload with node:crypto. */
function fakeWorker(options: { retryFirst: boolean }) {
  const received: {
    envelope: ReturnType<typeof parseSealedEnvelope>;
    body: Uint8Array;
    streamed: boolean;
  }[] = [];
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.pathname === "/api/session") {
      return Response.json({
        authenticated: true,
        canWrite: true,
        accountId: "node-user",
        publicKey: PUBLIC_PEM,
      });
    }
    if (url.pathname !== "/api/sealed-files" || request.method !== "POST")
      return new Response("no", { status: 404 });
    const envelope = parseSealedEnvelope((name) => request.headers.get(name));
    const body = new Uint8Array(await request.arrayBuffer());
    received.push({ envelope, body, streamed: init?.body instanceof ReadableStream });
    if (options.retryFirst && received.length === 1) {
      return Response.json(
        { error: { code: "TOKEN_REFRESHED_RETRY", message: "send the file again" } },
        { status: 503, headers: { "Retry-After": "0" } },
      );
    }
    const fileName = decodeURIComponent(request.headers.get(SEALED_HEADERS.fileName) ?? "");
    return Response.json({ status: "delivered", expires: 1, fileName, bytes: body.length });
  }) as typeof fetch;
  return { fetch: fetchFn, received };
}

describe("the typed client in Node", () => {
  it("seals as it streams, and seals afresh after TOKEN_REFRESHED_RETRY", async () => {
    const worker = fakeWorker({ retryFirst: true });
    const client = createClient("http://worker.test", { fetch: worker.fetch });
    const file = randomFile(2 * 1024 * 1024 + 3);
    const progress: number[] = [];
    const result = await client.uploadSealed(
      new File([file], "naïve name.txt", { type: "text/plain" }),
      { tags: ["n"] },
      {
        onProgress: (sent) => progress.push(sent),
      },
    );
    expect(result).toMatchObject({ status: "delivered", fileName: "naïve name.txt" });
    expect(worker.received).toHaveLength(2);
    const [first, second] = worker.received;
    expect(first?.envelope.ok && second?.envelope.ok).toBe(true);
    const a = first?.envelope as SealedEnvelope;
    const b = second?.envelope as SealedEnvelope;
    expect(a.iv).not.toBe(b.iv);
    for (const { envelope, body, streamed } of worker.received) {
      expect(streamed).toBe(true); // Node: no XMLHttpRequest, streamed fetch
      const opened = open(privateKey, envelope as SealedEnvelope, body);
      expect(opened.descriptor).toEqual(DESCRIPTOR);
      expect(Buffer.from(opened.file).equals(Buffer.from(file))).toBe(true);
    }
    expect(progress.at(-1)).toBe(second?.body.length);
  });

  it("gives up after one retry", async () => {
    let posts = 0;
    const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      if (new URL(request.url).pathname === "/api/session") {
        return Response.json({ authenticated: true, canWrite: true, accountId: "u", publicKey: PUBLIC_PEM });
      }
      posts++;
      await request.arrayBuffer();
      return Response.json({ error: { code: "TOKEN_REFRESHED_RETRY", message: "again" } }, { status: 503 });
    }) as typeof fetch;
    const client = createClient("http://worker.test", { fetch: fetchFn });
    const error = await client
      .uploadSealed(new Blob(["x"]), undefined, { transport: "blob" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EdgeClientError);
    expect(error).toMatchObject({ status: 503, code: "TOKEN_REFRESHED_RETRY" });
    expect(posts).toBe(2);
  });
});
