/**
 * tus refusals of `/api/uploads`, each with its status: the version (412), the offset (409), the
 * media type (415), lengths (400, 413), metadata (400), past the length (413), a PATCH over the
 * chunk limit (413), concurrent PATCHes (423), unknown, expired and foreign uploads (404, 410),
 * CSRF and sessions; discovery with OPTIONS and the CORS headers.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { vaultFor } from "../../src/lib/session.ts";
import { formatUploadMetadata, parseUploadMetadata } from "../../src/lib/tus/metadata.ts";
import { STAGING_PART_BYTES } from "../../src/lib/tus/upload-types.ts";
import { errorOf, expectSecurityHeaders } from "../support/answers.ts";
import { Browser, preflight, signedInBrowser, signedInUser } from "../support/browser.ts";
import { bytesOf } from "../support/bytes.ts";
import { emulator } from "../support/emulator-admin.ts";
import { APP_ORIGIN } from "../support/test-env.ts";
import { create, createRaw, head, patch, stagedKeys, tusHeaders } from "../support/tus-requests.ts";

const testEnv = env as unknown as Env;

async function newUpload(browser: Browser, length = 1000): Promise<string> {
  const created = await create(browser, length);
  expect(created.status, await created.clone().text()).toBe(201);
  return created.headers.get("Location") as string;
}

describe("tus discovery and headers", () => {
  it("OPTIONS returns Tus-Version, Tus-Extension and Tus-Max-Size, with CORS for the app", async () => {
    const browser = new Browser();
    const response = await preflight(browser, "/api/uploads", APP_ORIGIN, "PATCH", "upload-offset");
    expect(response.status).toBe(204);
    const h = response.headers;
    expect(h.get("Tus-Version")).toBe("1.0.0");
    expect(h.get("Tus-Resumable")).toBe("1.0.0");
    expect(h.get("Tus-Extension")).toBe("creation,creation-with-upload,termination,expiration,checksum");
    expect(h.get("Tus-Max-Size")).toBe(String(5 * 1024 * 1024 * 1024));
    expect(h.get("Access-Control-Allow-Origin")).toBe(APP_ORIGIN);
    expect(h.get("Access-Control-Allow-Methods")).toContain("PATCH");
    expect(h.get("Access-Control-Allow-Headers")).toContain("Upload-Offset");
    expect(h.get("Access-Control-Expose-Headers")).toContain("Upload-Offset");
    expect(h.get("Access-Control-Expose-Headers")).toContain("Location");
    const foreign = await browser.fetch("/api/uploads", { method: "OPTIONS", origin: "https://evil.test" });
    expect(foreign.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("HEAD returns offset, length, expiry and no-store, with the security headers", async () => {
    const browser = await signedInBrowser();
    const location = await newUpload(browser, 4321);
    const response = await browser.fetch(location, { method: "HEAD", headers: tusHeaders() });
    expect(response.status).toBe(200);
    expect(response.headers.get("Upload-Offset")).toBe("0");
    expect(response.headers.get("Upload-Length")).toBe("4321");
    expect(response.headers.get("Upload-Expires")).toMatch(/GMT$/);
    expect(response.headers.get("Tus-Resumable")).toBe("1.0.0");
    expectSecurityHeaders(response, "HEAD");
  });

  it("Upload-Metadata: pairs of key and base64 value, refused when malformed", () => {
    const ok = parseUploadMetadata(formatUploadMetadata({ filename: "naïve €.txt", empty: "" }));
    expect(ok).toEqual({
      ok: true,
      values: new Map([
        ["filename", "naïve €.txt"],
        ["empty", ""],
      ]),
    });
    expect(parseUploadMetadata("a YQ==, b")).toEqual({
      ok: true,
      values: new Map([
        ["a", "a"],
        ["b", ""],
      ]),
    });
    for (const bad of ["a YQ==,a Yg==", "a YQ", "a Y Q==", "a,b c d", "a/ YQ==x", "k /w=="])
      expect(parseUploadMetadata(bad).ok, bad).toBe(false);
  });
});

describe("tus refusals", () => {
  it("Tus-Resumable other than 1.0.0 (or none): 412 with Tus-Version", async () => {
    const browser = await signedInBrowser();
    const location = await newUpload(browser);
    for (const version of ["0.2.2", null]) {
      const headers = new Headers({ "Upload-Length": "10", "Upload-Metadata": "filename YQ==" });
      if (version) headers.set("Tus-Resumable", version);
      const response = await browser.fetch("/api/uploads", { method: "POST", origin: APP_ORIGIN, headers });
      expect(await errorOf(response)).toMatchObject({ status: 412, code: "TUS_VERSION_UNSUPPORTED" });
      expect(response.headers.get("Tus-Version")).toBe("1.0.0");
    }
    const patched = await patch(browser, location, 0, new Uint8Array(5), {
      headers: { "Tus-Resumable": "2.0.0" },
    });
    expect(patched.status).toBe(412);
    expect((await browser.fetch(location, { method: "HEAD" })).status).toBe(412);
  });

  it("wrong Upload-Offset: 409; a bad one 400; the wrong media type 415", async () => {
    const browser = await signedInBrowser();
    const location = await newUpload(browser);
    expect((await patch(browser, location, 0, new Uint8Array(10))).status).toBe(204);
    expect(await errorOf(await patch(browser, location, 0, new Uint8Array(10)))).toMatchObject({
      status: 409,
      code: "OFFSET_MISMATCH",
    });
    expect((await errorOf(await patch(browser, location, 11, new Uint8Array(10)))).status).toBe(409);
    const bad = await patch(browser, location, 0, new Uint8Array(1), { headers: { "Upload-Offset": "-1" } });
    expect(await errorOf(bad)).toMatchObject({ status: 400, code: "BAD_UPLOAD_OFFSET" });
    const type = await patch(browser, location, 10, new Uint8Array(1), {
      headers: { "Content-Type": "application/octet-stream" },
    });
    expect(await errorOf(type)).toMatchObject({ status: 415, code: "UNSUPPORTED_MEDIA_TYPE" });
    expect(await head(browser, location)).toEqual({ status: 200, offset: 10 });
  });

  it("Upload-Length missing, zero, deferred or malformed: 400; over TUS_MAX_UPLOAD_BYTES: 413", async () => {
    const browser = await signedInBrowser();
    for (const length of [undefined, "0", "1e3", "-5", "12x"]) {
      const headers = { "Upload-Metadata": "filename YQ==", ...(length ? { "Upload-Length": length } : {}) };
      const response = await createRaw(browser, headers);
      expect(await errorOf(response), String(length)).toMatchObject({
        status: 400,
        code: "BAD_UPLOAD_LENGTH",
      });
    }
    const deferred = await createRaw(browser, {
      "Upload-Defer-Length": "1",
      "Upload-Metadata": "filename YQ==",
    });
    expect((await errorOf(deferred)).code).toBe("BAD_UPLOAD_LENGTH");
    const big = await create(browser, 5 * 1024 * 1024 * 1024 + 1);
    expect(await errorOf(big)).toMatchObject({ status: 413, code: "PAYLOAD_TOO_LARGE" });
    const small = await create(browser, 1000, { filename: "a" }, { env: { TUS_MAX_UPLOAD_BYTES: "999" } });
    expect((await errorOf(small)).status).toBe(413);
  });

  it("missing or malformed metadata: 400, and a sealed envelope's problems as /api/sealed-files names them", async () => {
    const browser = await signedInBrowser();
    expect(await errorOf(await create(browser, 10, {}))).toMatchObject({
      status: 400,
      code: "BAD_UPLOAD_METADATA",
    });
    const malformed = await createRaw(browser, { "Upload-Length": "10", "Upload-Metadata": "filename !!!" });
    expect((await errorOf(malformed)).code).toBe("BAD_UPLOAD_METADATA");
    expect((await errorOf(await create(browser, 32, { filename: "a", iv: "nothex" }))).code).toBe("BAD_IV");
    const descriptor = await create(browser, 10, { filename: "a", fileDescriptor: '{"nope":1}' });
    expect((await errorOf(descriptor)).code).toBe("BAD_DESCRIPTOR");
  });

  it("a PATCH past Upload-Length: 413, declared or counted, and nothing past it is kept", async () => {
    const browser = await signedInBrowser();
    const location = await newUpload(browser, 100);
    expect((await errorOf(await patch(browser, location, 0, new Uint8Array(101)))).status).toBe(413);
    const counted = await patch(browser, location, 0, bytesOf(150), { cutAfter: 150 });
    expect(await errorOf(counted)).toMatchObject({ status: 413, code: "PAYLOAD_TOO_LARGE" });
    expect((await head(browser, location)).offset).toBeLessThanOrEqual(100);
  });

  it("a PATCH over TUS_CHUNK_MAX_BYTES: 413", async () => {
    const browser = await signedInBrowser();
    const location = await newUpload(browser, 100);
    const response = await patch(browser, location, 0, new Uint8Array(60), {
      init: { env: { TUS_CHUNK_MAX_BYTES: "50" } },
    });
    expect(await errorOf(response)).toMatchObject({ status: 413, code: "PAYLOAD_TOO_LARGE" });
  });

  it("a second PATCH while one holds the upload: 423, and the first one completes", async () => {
    const browser = await signedInBrowser();
    const size = STAGING_PART_BYTES + 5;
    const location = await newUpload(browser, size);
    const file = bytesOf(size, 4);
    // The first PATCH's body waits until the second PATCH has had its response.
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let sent = false;
    const slow = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent) {
          await gate;
          controller.enqueue(file.subarray(10));
          return controller.close();
        }
        sent = true;
        controller.enqueue(file.subarray(0, 10));
      },
    });
    const first = browser.fetch(location, {
      method: "PATCH",
      origin: APP_ORIGIN,
      headers: tusHeaders({ "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0" }),
      body: slow,
      // @ts-expect-error duplex is needed for a stream body and missing from the types
      duplex: "half",
    });
    let second: Response | undefined;
    for (let i = 0; i < 200 && second?.status !== 423; i++)
      second = await patch(browser, location, 0, file.subarray(0, 10));
    expect(await errorOf(second as Response)).toMatchObject({ status: 423, code: "UPLOAD_LOCKED" });
    release();
    const done = await first;
    expect(done.status, await done.clone().text()).toBe(200);
  });

  it("unknown, foreign and expired uploads: 404, 404, 410; the alarm deletes expired ones", async () => {
    const owner = await signedInBrowser();
    const location = await newUpload(owner, STAGING_PART_BYTES * 2);
    expect((await patch(owner, location, 0, bytesOf(STAGING_PART_BYTES + 3))).status).toBe(204);
    const other = await signedInBrowser();
    expect((await head(other, location)).status).toBe(404);
    expect((await errorOf(await patch(other, location, 0, new Uint8Array(1)))).code).toBe("NOT_FOUND");
    const del = await other.fetch(location, { method: "DELETE", origin: APP_ORIGIN, headers: tusHeaders() });
    expect(del.status).toBe(404);
    expect((await head(owner, "/api/uploads/AAAAAAAAAAAAAAAAAAAAAA")).status).toBe(404);

    const stub = vaultFor(testEnv, owner.userId as string);
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("UPDATE uploads SET expires_at = ?", Date.now() - 1);
    });
    expect((await head(owner, location)).status).toBe(410);
    expect(
      (await errorOf(await patch(owner, location, STAGING_PART_BYTES + 3, new Uint8Array(1)))).code,
    ).toBe("UPLOAD_EXPIRED");
    expect((await stagedKeys(location)).length).toBe(1);
    await runInDurableObject(stub, (instance) => (instance as unknown as { alarm(): Promise<void> }).alarm());
    expect(await stagedKeys(location)).toEqual([]);
    expect((await head(owner, location)).status).toBe(404);
  });

  it("signed out: 401; a foreign Origin or none: 403 CSRF_ORIGIN; sealed on an import Worker: 409", async () => {
    const anonymous = new Browser();
    expect((await errorOf(await create(anonymous, 10))).status).toBe(401);
    const browser = await signedInBrowser();
    const location = await newUpload(browser);
    for (const origin of ["https://evil.test", null]) {
      expect((await errorOf(await create(browser, 10, { filename: "a" }, { origin }))).code).toBe(
        "CSRF_ORIGIN",
      );
      const patched = await patch(browser, location, 0, new Uint8Array(1), { init: { origin } });
      expect((await errorOf(patched)).code).toBe("CSRF_ORIGIN");
      const del = await browser.fetch(location, { method: "DELETE", origin, headers: tusHeaders() });
      expect((await errorOf(del)).code).toBe("CSRF_ORIGIN");
    }
    const sealed = await create(
      browser,
      32,
      { filename: "a", iv: "0".repeat(32) },
      { env: { DIGIME_WRITE_API: "import" } },
    );
    expect((await errorOf(sealed)).status).toBe(409);
  });

  it("a signed-out user's staged uploads are deleted with the session", async () => {
    const { browser } = await signedInUser();
    const location = await newUpload(browser, STAGING_PART_BYTES * 3);
    expect((await patch(browser, location, 0, bytesOf(STAGING_PART_BYTES + 1))).status).toBe(204);
    expect((await stagedKeys(location)).length).toBe(1);
    expect((await browser.fetch("/auth/logout", { method: "POST" })).status).toBe(200);
    expect(await stagedKeys(location)).toEqual([]);
    await emulator.resetStats();
  });
});
