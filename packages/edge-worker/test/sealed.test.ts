/**
 * Sealed uploads (`POST /api/sealed-files`): files sealed by sdk-core in workerd and in Node arrive
 * at the emulator and decrypt byte for byte; malformed envelopes are refused with 400 before
 * anything reaches digi.me; the size, CSRF, session and rate rules of `/api/files`; the token
 * refresh after the body was spent, and the typed client's `uploadSealed`.
 */
import { seal } from "@digime-edge/sdk-core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createClient, EdgeClientError } from "../src/client.ts";
import { REPLAYABLE_BYTES } from "../src/lib/upload.ts";
import { errorOf } from "./support/answers.ts";
import { Browser, preflight, signedInBrowser, signedInUser } from "./support/browser.ts";
import { bytesOf, sha256, streamOf } from "./support/bytes.ts";
import { emulator } from "./support/emulator-admin.ts";
import {
  publicKeyOf,
  type SealedParts,
  sealFor,
  sealInNode,
  uploadSealedParts,
} from "./support/sealed-uploads.ts";
import { APP_ORIGIN, ORIGIN } from "./support/test-env.ts";
import { storedTokens } from "./support/vault-access.ts";

const enc = new TextEncoder();

async function ready() {
  await emulator.clearFaults();
  const { browser, userId, postboxId } = await signedInUser();
  return { browser, userId, postboxId, publicKey: await publicKeyOf(browser) };
}

/** The emulator's library holds exactly `files`, byte for byte, with these descriptors. */
async function expectLibrary(
  postboxId: string,
  expected: { fileName: string; data: Uint8Array<ArrayBuffer>; metadata: unknown }[],
) {
  const files = await emulator.files(postboxId);
  expect(files.map((f) => f.fileName).sort()).toEqual(expected.map((f) => f.fileName).sort());
  for (const want of expected) {
    const file = files.find((f) => f.fileName === want.fileName);
    expect(file?.size).toBe(want.data.length);
    expect(file?.sha256).toBe(await sha256(want.data));
    expect(await emulator.download(file?.url as string)).toEqual(want.data);
    expect(file?.metadata).toEqual(want.metadata);
  }
}

/** Nothing reached digi.me's postbox (nor its token endpoint) since the stats were reset. */
async function expectNothingSent(postboxId: string) {
  const stats = await emulator.stats();
  expect(stats.requests.postbox).toBe(0);
  expect(stats.refreshes).toBe(0);
  expect(await emulator.files(postboxId)).toEqual([]);
}

describe("sealed uploads arrive and decrypt byte for byte", () => {
  it("GET /api/session gives the postbox's public key and the default account", async () => {
    const browser = await signedInBrowser();
    const info = (await (await browser.fetch("/api/session", { origin: APP_ORIGIN })).json()) as Record<
      string,
      unknown
    >;
    expect(info).toMatchObject({
      authenticated: true,
      canWrite: true,
      writeApi: "postbox",
      canSeal: true,
      accountId: browser.userId,
    });
    expect(info.publicKey).toMatch(/^-----BEGIN (RSA )?PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END/);
    expect(Object.keys(info).sort()).toEqual([
      "accountId",
      "authenticated",
      "canSeal",
      "canWrite",
      "publicKey",
      "writeApi",
    ]);
  });

  it("sealed in workerd by sdk-core: bytes with a length, and a 3 MiB stream without one", async () => {
    const { browser, userId, postboxId, publicKey } = await ready();
    const small = bytesOf(100_000, 3);
    const descriptor = { mimeType: "application/x-sealed", accounts: [{ accountId: userId }], tags: ["s"] };
    const sealedSmall = await seal({ publicKey, fileData: small, fileDescriptor: descriptor });
    expect(sealedSmall.body).toBeInstanceOf(Uint8Array);
    const first = await uploadSealedParts(browser, sealedSmall, {
      overrides: { "X-Digime-File-Name": encodeURIComponent("../dir/smäll\u202e.bin") },
    });
    expect(first.status, await first.clone().text()).toBe(200);
    expect(await first.json()).toMatchObject({
      status: "delivered",
      fileName: "smäll.bin",
      bytes: sealedSmall.size,
    });

    // From a stream: sealed as it is read, sent on as it is sealed; nobody knows its length.
    const big = bytesOf(3 * 1024 * 1024 + 7, 4);
    const sealedBig = await seal({
      publicKey,
      fileData: streamOf(big),
      fileDescriptor: { mimeType: "application/octet-stream", accounts: [{ accountId: "a-1" }] },
    });
    expect(sealedBig.body).toBeInstanceOf(ReadableStream);
    expect(sealedBig.size).toBeUndefined();
    const second = await uploadSealedParts(browser, sealedBig, {
      overrides: { "X-Digime-File-Name": "big.bin" },
    });
    expect(second.status, await second.clone().text()).toBe(200);
    expect(await second.json()).toMatchObject({ status: "delivered", bytes: big.length + 9 });

    await expectLibrary(postboxId, [
      { fileName: "smäll.bin", data: small, metadata: descriptor },
      {
        fileName: "big.bin",
        data: big,
        metadata: { mimeType: "application/octet-stream", accounts: [{ accountId: "a-1" }] },
      },
    ]);
    expect((await emulator.stats()).writes).toBe(2);
  });

  it("sealed in Node by sdk-core: with its length (2 MiB) and streamed (small)", async () => {
    const { browser, postboxId, publicKey } = await ready();
    const descriptor = { mimeType: "text/plain", accounts: [{ accountId: "node" }], reference: ["r"] };
    const large = bytesOf(2 * 1024 * 1024 + 1, 5);
    const sealedLarge = await sealInNode(publicKey, large, descriptor);
    expect(sealedLarge.size).toBe(large.length - (large.length % 16) + 16);
    const a = await uploadSealedParts(browser, sealedLarge, {
      overrides: { "X-Digime-File-Name": "node-large.txt" },
    });
    expect(a.status, await a.clone().text()).toBe(200);

    const small = new Uint8Array(enc.encode("sealed in Node, read only by digi.me"));
    const sealedSmall = await sealInNode(publicKey, small, descriptor);
    const b = await uploadSealedParts(
      browser,
      { ...sealedSmall, body: streamOf(sealedSmall.body as Uint8Array) },
      { overrides: { "X-Digime-File-Name": "node-small.txt" } },
    );
    expect(b.status, await b.clone().text()).toBe(200);

    await expectLibrary(postboxId, [
      { fileName: "node-large.txt", data: large, metadata: descriptor },
      { fileName: "node-small.txt", data: small, metadata: descriptor },
    ]);
  });
});

describe("malformed sealed uploads: 400 before anything reaches digi.me", () => {
  let sealed: SealedParts;
  let browser: Browser;
  let postboxId: string;

  beforeEach(async () => {
    let publicKey: string;
    ({ browser, postboxId, publicKey } = await ready());
    sealed = await seal({
      publicKey,
      fileData: bytesOf(4096),
      fileDescriptor: { mimeType: "text/plain", accounts: [{ accountId: "x" }] },
    });
  });

  const b64 = (n: number) => btoa(String.fromCharCode(...bytesOf(n, n)));
  const cases: [string, Record<string, string | null>, string][] = [
    ["no iv", { "X-Digime-Iv": null }, "BAD_IV"],
    ["an iv of 15 bytes", { "X-Digime-Iv": "ab".repeat(15) }, "BAD_IV"],
    ["an iv of 17 bytes", { "X-Digime-Iv": "ab".repeat(17) }, "BAD_IV"],
    ["an iv that is not hex", { "X-Digime-Iv": `${"zz".repeat(15)}00` }, "BAD_IV"],
    ["an iv in uppercase hex", { "X-Digime-Iv": "AB".repeat(16) }, "BAD_IV"],
    ["no wrapped key", { "X-Digime-Symmetrical-Key": null }, "BAD_SYMMETRICAL_KEY"],
    ["a wrapped key of 255 bytes", { "X-Digime-Symmetrical-Key": b64(255) }, "BAD_SYMMETRICAL_KEY"],
    ["a wrapped key of 512 bytes", { "X-Digime-Symmetrical-Key": b64(512) }, "BAD_SYMMETRICAL_KEY"],
    ["a wrapped key of 32 bytes", { "X-Digime-Symmetrical-Key": b64(32) }, "BAD_SYMMETRICAL_KEY"],
    ["a wrapped key in base64url", { "X-Digime-Symmetrical-Key": "-_".repeat(172) }, "BAD_SYMMETRICAL_KEY"],
    ["no metadata", { "X-Digime-Metadata": null }, "BAD_METADATA"],
    ["metadata of 20 bytes", { "X-Digime-Metadata": b64(20) }, "BAD_METADATA"],
    ["metadata of 31 bytes", { "X-Digime-Metadata": b64(31) }, "BAD_METADATA"],
    ["metadata that is not base64", { "X-Digime-Metadata": "not base64!!" }, "BAD_METADATA"],
    ["metadata over 8192 characters", { "X-Digime-Metadata": b64(6144 + 16) }, "BAD_METADATA"],
    ["a file name that is not percent-encoded UTF-8", { "X-Digime-File-Name": "%E0%A4%A" }, "BAD_FILE_NAME"],
    ["a multipart body", { "Content-Type": "multipart/form-data; boundary=x" }, "BAD_CONTENT_TYPE"],
    ["no Content-Type", { "Content-Type": null }, "BAD_CONTENT_TYPE"],
  ];

  it.each(cases)("%s", async (_what, overrides, code) => {
    const answer = await uploadSealedParts(browser, sealed, { overrides });
    expect(await errorOf(answer)).toMatchObject({ status: 400, code });
    await expectNothingSent(postboxId);
  });

  it.each([
    ["1000 bytes, with a length", () => bytesOf(1000), "whole number"],
    ["1000 bytes, streamed", () => streamOf(bytesOf(1000)), "whole number"],
    ["1 MiB - 8 bytes, streamed", () => streamOf(bytesOf(REPLAYABLE_BYTES - 8)), "whole number"],
    ["empty, with a length", () => new Uint8Array(0), "empty"],
    ["empty, streamed", () => streamOf(new Uint8Array(0)), "empty"],
  ])("a body of %s", async (_what, body, message) => {
    const answer = await uploadSealedParts(browser, { ...sealed, body: body() });
    const error = await errorOf(answer);
    expect(error).toMatchObject({ status: 400, code: "BAD_SEALED_BODY" });
    expect(error.message).toContain(message);
    await expectNothingSent(postboxId);
  });

  it("413 over the limit: by Content-Length, and counted while reading ahead", async () => {
    const env = { MAX_UPLOAD_BYTES: String(64 * 1024) };
    const declared = await uploadSealedParts(browser, { ...sealed, body: bytesOf(64 * 1024 + 32) }, { env });
    expect(await errorOf(declared)).toMatchObject({ status: 413, code: "PAYLOAD_TOO_LARGE" });
    const streamed = await uploadSealedParts(
      browser,
      { ...sealed, body: streamOf(bytesOf(256 * 1024)) },
      { env },
    );
    expect(await errorOf(streamed)).toMatchObject({ status: 413, code: "PAYLOAD_TOO_LARGE" });
    await expectNothingSent(postboxId);
    // The ciphertext of a file of exactly the limit (one block of padding more) is fine.
    const atLimit = await sealFor(browser, bytesOf(64 * 1024));
    expect(atLimit.size).toBe(64 * 1024 + 16);
    expect((await uploadSealedParts(browser, atLimit, { env })).status).toBe(200);
  });

  it("a large body found bad at its end: the digi.me request is aborted and nothing delivered", async () => {
    const tooLong = await uploadSealedParts(
      browser,
      { ...sealed, body: streamOf(bytesOf(3 * 1024 * 1024)) },
      { env: { MAX_UPLOAD_BYTES: String(2 * 1024 * 1024) } },
    );
    expect(await errorOf(tooLong)).toMatchObject({ status: 413, code: "PAYLOAD_TOO_LARGE" });
    const ragged = await uploadSealedParts(browser, {
      ...sealed,
      body: streamOf(bytesOf(2 * 1024 * 1024 + 5)),
    });
    expect(await errorOf(ragged)).toMatchObject({ status: 400, code: "BAD_SEALED_BODY" });
    expect(await emulator.files(postboxId)).toEqual([]);
    expect((await emulator.stats()).writes).toBe(0);
  });

  it("the CSRF, session and rate rules of /api/files", async () => {
    expect(
      await errorOf(await uploadSealedParts(browser, sealed, { origin: "https://evil.test" })),
    ).toMatchObject({ status: 403, code: "CSRF_ORIGIN" });
    expect(await errorOf(await uploadSealedParts(browser, sealed, { origin: null }))).toMatchObject({
      status: 403,
      code: "CSRF_ORIGIN",
    });
    expect(await errorOf(await uploadSealedParts(new Browser(), sealed))).toMatchObject({
      status: 401,
      code: "UNAUTHENTICATED",
    });
    const env = { RATE_LIMIT_PER_MINUTE: "2" };
    const body = sealed.body as Uint8Array<ArrayBuffer>;
    for (let i = 0; i < 2; i++) {
      expect((await uploadSealedParts(browser, { ...sealed, body }, { env })).status).toBe(200);
    }
    const limited = await uploadSealedParts(browser, { ...sealed, body }, { env });
    expect(await errorOf(limited)).toMatchObject({ status: 429, code: "RATE_LIMITED" });
    expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
  });

  it("CORS lets the app send the envelope headers", async () => {
    const asked = await preflight(
      new Browser(),
      "/api/sealed-files",
      APP_ORIGIN,
      "POST",
      "content-type,x-digime-iv,x-digime-symmetrical-key,x-digime-metadata,x-digime-file-name",
    );
    expect(asked.headers.get("Access-Control-Allow-Origin")).toBe(APP_ORIGIN);
    const allowed = (asked.headers.get("Access-Control-Allow-Headers") ?? "").toLowerCase();
    for (const name of [
      "x-digime-iv",
      "x-digime-symmetrical-key",
      "x-digime-metadata",
      "x-digime-file-name",
    ]) {
      expect(allowed).toContain(name);
    }
  });
});

describe("token refreshed after the body was sent", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("a small sealed body is sent again by the Worker; a streamed one gets TOKEN_REFRESHED_RETRY", async () => {
    const { browser, userId, postboxId, publicKey } = await ready();
    const descriptor = { mimeType: "text/plain", accounts: [{ accountId: userId }] };
    await emulator.expireTokens({ postboxId });
    const small = bytesOf(10_000, 8);
    const ok = await uploadSealedParts(
      browser,
      await seal({ publicKey, fileData: small, fileDescriptor: descriptor }),
    );
    expect(ok.status, await ok.clone().text()).toBe(200);
    let stats = await emulator.stats();
    expect({ refreshes: stats.refreshes, pending: stats.pending, writes: stats.writes }).toEqual({
      refreshes: 1,
      pending: 1,
      writes: 1,
    });

    await emulator.expireTokens({ postboxId });
    const big = bytesOf(REPLAYABLE_BYTES + 300_000, 9);
    const sealedBig = await seal({ publicKey, fileData: big, fileDescriptor: descriptor });
    const retry = await uploadSealedParts(browser, sealedBig);
    expect(await errorOf(retry)).toMatchObject({ status: 503, code: "TOKEN_REFRESHED_RETRY" });
    expect(retry.headers.get("Retry-After")).toBe("0");
    stats = await emulator.stats();
    expect(stats.refreshes).toBe(2);
    expect(stats.writes).toBe(1);
    expect((await storedTokens(userId))?.access_expiry).toBeGreaterThan(Date.now());
  });

  it("the typed client seals afresh and sends once more; the request never carries the plaintext", async () => {
    const { browser, userId, postboxId } = await ready();
    await emulator.expireTokens({ postboxId });
    const marker = "PLAINTEXT-MARKER-7d1f";
    const data = new Uint8Array(REPLAYABLE_BYTES + 200_000);
    data.set(bytesOf(data.length, 11));
    for (let at = 0; at + marker.length < data.length; at += 50_000) data.set(enc.encode(marker), at);

    // Every request the client makes, as the Worker receives it.
    const sent: { url: string; headers: Headers; body: Uint8Array }[] = [];
    const capture = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      const body = request.body ? new Uint8Array(await request.arrayBuffer()) : new Uint8Array(0);
      sent.push({ url: request.url, headers: request.headers, body });
      // Forward as a stream without a length, as a browser's streamed fetch would.
      return browser.fetchForClient(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body || body.length ? { body: streamOf(body), duplex: "half" } : {}),
      } as RequestInit);
    }) as typeof fetch;

    const client = createClient(ORIGIN, { fetch: capture });
    const progress: number[] = [];
    const sealing: number[] = [];
    const result = await client.uploadSealed(
      new File([data], "secret.txt", { type: "text/plain" }),
      { tags: ["sealed"] },
      {
        onProgress: (n) => progress.push(n),
        onSealProgress: (n) => sealing.push(n),
        transport: "stream",
      },
    );
    expect(result).toMatchObject({ status: "delivered", fileName: "secret.txt" });

    const posts = sent.filter((r) => r.url.endsWith("/api/sealed-files"));
    expect(posts).toHaveLength(2);
    const [first, second] = posts as [(typeof posts)[0], (typeof posts)[0]];
    // A new envelope for the second attempt.
    expect(second.headers.get("X-Digime-Iv")).not.toBe(first.headers.get("X-Digime-Iv"));
    expect(second.headers.get("X-Digime-Symmetrical-Key")).not.toBe(
      first.headers.get("X-Digime-Symmetrical-Key"),
    );
    for (const request of posts) {
      expect(request.body.length).toBe(data.length - (data.length % 16) + 16);
      const text = new TextDecoder("latin1").decode(request.body);
      expect(text).not.toContain(marker);
      expect([...request.headers].join("\n")).not.toContain(marker);
      expect(request.headers.get("Content-Type")).toBe("application/octet-stream");
    }
    expect(progress.at(-1)).toBe(second.body.length);
    expect(sealing.at(-1)).toBe(data.length);
    expect((await emulator.stats()).refreshes).toBe(1);
    await expectLibrary(postboxId, [
      {
        fileName: "secret.txt",
        data,
        metadata: { mimeType: "text/plain", accounts: [{ accountId: userId }], tags: ["sealed"] },
      },
    ]);
  });

  it("the typed client over XMLHttpRequest: sealed into a Blob, sent with its length and progress", async () => {
    const { browser, postboxId } = await ready();
    /** A stand-in for the browser's XMLHttpRequest that hands the request to the Worker. */
    class FakeXhr {
      static requests: { headers: Headers; size: number }[] = [];
      withCredentials = false;
      status = 0;
      responseText = "";
      upload: {
        onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null;
      } = { onprogress: null };
      onload: (() => void) | null = null;
      onerror: (() => void) | null = null;
      onabort: (() => void) | null = null;
      #url = "";
      #headers = new Headers();
      #response: Response | undefined;
      open(_method: string, url: string) {
        this.#url = url;
      }
      setRequestHeader(name: string, value: string) {
        this.#headers.set(name, value);
      }
      getResponseHeader(name: string) {
        return this.#response?.headers.get(name) ?? null;
      }
      abort() {
        this.onabort?.();
      }
      send(body: Blob) {
        FakeXhr.requests.push({ headers: this.#headers, size: body.size });
        (async () => {
          const bytes = new Uint8Array(await body.arrayBuffer());
          this.upload.onprogress?.({ loaded: bytes.length, total: bytes.length, lengthComputable: true });
          this.#response = await browser.fetch(this.#url, {
            method: "POST",
            headers: this.#headers,
            body: bytes,
            origin: APP_ORIGIN,
          });
          this.status = this.#response.status;
          this.responseText = await this.#response.text();
          this.onload?.();
        })().catch(() => this.onerror?.());
      }
    }
    vi.stubGlobal("XMLHttpRequest", FakeXhr);
    const client = createClient(ORIGIN, { fetch: browser.fetchForClient });
    const data = bytesOf(300_000, 12);
    const progress: [number, number | undefined][] = [];
    const result = await client.uploadSealed(new Blob([data]), undefined, {
      fileName: "xhr.bin",
      transport: "xhr",
      onProgress: (sent, total) => progress.push([sent, total]),
    });
    expect(result).toMatchObject({ status: "delivered", fileName: "xhr.bin", bytes: 300_016 });
    expect(FakeXhr.requests).toHaveLength(1);
    expect(FakeXhr.requests[0]?.size).toBe(300_016);
    expect(progress).toEqual([[300_016, 300_016]]);
    const [file] = await emulator.files(postboxId);
    expect(await emulator.download(file?.url as string)).toEqual(data);
    expect(file?.metadata).toMatchObject({ mimeType: "application/octet-stream" });
  });

  it("the typed client refuses before sealing without a session, and reports a seal failure", async () => {
    const anonymous = new Browser();
    const client = createClient(ORIGIN, { fetch: anonymous.fetchForClient });
    const refused = await client.uploadSealed(new Blob(["x"])).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(EdgeClientError);
    expect(refused).toMatchObject({ status: 401, code: "UNAUTHENTICATED" });

    const browser = await signedInBrowser();
    const signedIn = createClient(ORIGIN, { fetch: browser.fetchForClient });
    const bad = await signedIn
      .uploadSealed(new Blob(["x"]), { accounts: [{ accountId: "" }] })
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: "SEAL_FAILED" });
  });
});
