/**
 * The Worker with an import contract (`DIGIME_WRITE_API=import`): the version-10 sign-in (no
 * `callback` in the onboarding URL, `accountReference` back), `/api/session`, plain uploads through
 * `pushData` (byte for byte in the library, the pipeline's limits and codes), sealed uploads refused.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createClient } from "../../src/client.ts";
import { REPLAYABLE_BYTES } from "../../src/lib/upload.ts";
import { errorOf, expectSecurityHeaders } from "../support/answers.ts";
import { Browser, signIn } from "../support/browser.ts";
import { bytesOf, sha256, streamOf } from "../support/bytes.ts";
import { emulator } from "../support/emulator-admin.ts";
import { importedFiles, signedInImportUser } from "../support/import-users.ts";
import { upload, uploadForm } from "../support/posts.ts";
import { APP_ORIGIN, ORIGIN, PENDING_COOKIE } from "../support/test-env.ts";
import { storedTokens } from "../support/vault-access.ts";

const testEnv = env as unknown as Env;

describe("sign-in with an import contract", () => {
  it("follows the version-10 rule: no callback in the onboarding URL, the redirect URI is the callback", async () => {
    const browser = new Browser();
    const start = await browser.fetch("/auth/start");
    expect(start.status).toBe(302);
    const onboarding = new URL(start.headers.get("Location") as string);
    expect(onboarding.href.startsWith(testEnv.DIGIME_ONBOARD_URL)).toBe(true);
    expect([...onboarding.searchParams.keys()]).toEqual(["code", "sourceType"]);
    expect(onboarding.searchParams.get("sourceType")).toBe("pull");
    const consent = await fetch(onboarding, { redirect: "manual" });
    const callback = new URL(consent.headers.get("Location") as string);
    expect(callback.origin + callback.pathname).toBe(`${ORIGIN}/auth/callback`);
    expect(callback.searchParams.get("accountReference")).toBeTruthy();
    expect(callback.searchParams.has("postboxId")).toBe(false);
    const done = await browser.fetch(callback.href);
    expect(done.status).toBe(302);
    expect(done.headers.get("Location")).toBe(`${ORIGIN}/`);
  });

  it("passes sourceType=push on, and refuses another sourceType before digi.me is asked", async () => {
    const start = await new Browser().fetch("/auth/start?sourceType=push");
    expect(new URL(start.headers.get("Location") as string).searchParams.get("sourceType")).toBe("push");
    await emulator.resetStats();
    const bad = await new Browser().fetch("/auth/start?sourceType=pull%20push");
    expect(await errorOf(bad)).toMatchObject({ status: 400, code: "BAD_SOURCE_TYPE" });
    expect((await emulator.stats()).requests.authorize).toBe(0);
  });

  it("refuses a postbox redirect with WRITE_API_MISMATCH, back to the app, and stores nothing", async () => {
    const browser = new Browser();
    const start = await browser.fetch(`/auth/start?returnTo=${encodeURIComponent(`${APP_ORIGIN}/home`)}`);
    const consent = await fetch(start.headers.get("Location") as string, { redirect: "manual" });
    const callback = new URL(consent.headers.get("Location") as string);
    callback.searchParams.delete("accountReference");
    callback.searchParams.set("postboxId", "a-postbox");
    await emulator.resetStats();
    const done = await browser.fetch(callback.href);
    expect(done.status).toBe(302);
    expect(done.headers.get("Location")).toBe(`${APP_ORIGIN}/home?digimeError=WRITE_API_MISMATCH`);
    expect((await emulator.stats()).codeExchanges).toBe(0);
    expect(browser.userId).toBeUndefined();
  });

  it("a failure without state goes back to the app and leaves the sign-in going", async () => {
    const browser = new Browser();
    const start = await browser.fetch(`/auth/start?returnTo=${encodeURIComponent(`${APP_ORIGIN}/x`)}`);
    const consent = await fetch(start.headers.get("Location") as string, { redirect: "manual" });
    const failed = await browser.fetch("/auth/callback?success=false&errorCode=AccessDenied");
    expect(failed.headers.get("Location")).toBe(`${APP_ORIGIN}/x?digimeError=AccessDenied`);
    expect(browser.cookie(PENDING_COOKIE)).toBeTruthy();
    // Any other code is not shown as it is.
    const other = await browser.fetch("/auth/callback?success=false&errorCode=%3Cb%3Ehi");
    expect(other.headers.get("Location")).toBe(`${APP_ORIGIN}/x?digimeError=AUTHORIZATION_FAILED`);
    // The real answer still completes the sign-in.
    const done = await browser.fetch(consent.headers.get("Location") as string);
    expect(done.headers.get("Location")).toBe(`${APP_ORIGIN}/x`);
    expect(browser.userId).toBeDefined();
    // Without any pending sign-in: refused.
    const stranger = await new Browser().fetch("/auth/callback?success=false&errorCode=AccessDenied");
    expect(await errorOf(stranger)).toMatchObject({ status: 400, code: "BAD_STATE" });
  });
});

describe("GET /api/session with an import contract", () => {
  it("says the write API and that nothing can be sealed, signed out and in", async () => {
    const out = await new Browser().fetch("/api/session");
    expect(await out.json()).toEqual({
      authenticated: false,
      canWrite: false,
      writeApi: "import",
      canSeal: false,
    });
    const { browser, userId } = await signedInImportUser();
    const signedIn = await browser.fetch("/api/session");
    expectSecurityHeaders(signedIn);
    expect(await signedIn.json()).toEqual({
      authenticated: true,
      canWrite: true,
      writeApi: "import",
      canSeal: false,
      accountId: userId,
    });
  });
});

describe("POST /api/files with an import contract", () => {
  it.each([
    ["read whole (small)", 3000, false],
    ["streamed (over 1 MiB)", REPLAYABLE_BYTES + 70_001, false],
    ["chunked, no length", 300_000, true],
  ] as const)("imports the file byte for byte: %s", async (_name, size, chunked) => {
    const { browser, digimeUser } = await signedInImportUser();
    const data = bytesOf(size, size);
    const descriptor = { mimeType: "application/pdf", tags: ["t1"], reference: ["r1"] };
    const form = uploadForm(data, descriptor, "doc.pdf");
    const encoded = new Response(form);
    const init = chunked
      ? {
          body: streamOf(new Uint8Array(await encoded.arrayBuffer())),
          headers: { "Content-Type": encoded.headers.get("Content-Type") as string },
          duplex: "half",
        }
      : {};
    const response = await upload(browser, form, init as never);
    expectSecurityHeaders(response);
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.json()).toEqual({ status: "delivered", fileName: "doc.pdf", bytes: size });
    const [file, ...rest] = await importedFiles(digimeUser.id);
    expect(rest).toEqual([]);
    expect(file?.sha256).toBe(await sha256(data));
    expect(file?.metadata).toEqual({ ...descriptor, accounts: [{ accountId: browser.userId }] });
    expect(await emulator.download(file?.url as string)).toEqual(data);
    const stats = await emulator.stats();
    expect(stats.imports).toBe(1);
    expect(stats.writes).toBe(0);
  });

  it("keeps the pipeline's limits and codes: size, descriptor order, and nothing is imported", async () => {
    const { browser, digimeUser } = await signedInImportUser();
    const limit = Number(testEnv.MAX_UPLOAD_BYTES);
    const big = await upload(browser, uploadForm(bytesOf(limit + 1)));
    expect(await errorOf(big)).toMatchObject({ status: 413, code: "PAYLOAD_TOO_LARGE" });
    const form = new FormData();
    form.append("file", new File([bytesOf(2 * REPLAYABLE_BYTES)], "late.bin"));
    form.append("fileDescriptor", JSON.stringify({ mimeType: "text/plain" }));
    const late = await upload(browser, form);
    expect(await errorOf(late)).toMatchObject({ status: 400, code: "DESCRIPTOR_AFTER_FILE" });
    const bad = await upload(browser, uploadForm("x", { mimeType: "text/plain", nope: 1 }));
    expect(await errorOf(bad)).toMatchObject({ status: 400, code: "BAD_DESCRIPTOR" });
    expect(await importedFiles(digimeUser.id)).toEqual([]);
  });

  it("an access token digi.me finds expired: a small file is sent again after one refresh, a streamed one gets TOKEN_REFRESHED_RETRY", async () => {
    const { browser, userId, digimeUser, before } = await signedInImportUser();
    await emulator.expireTokens({ userId: digimeUser.id });
    const small = await upload(browser, uploadForm(bytesOf(5000, 5), undefined, "small.bin"));
    expect(small.status).toBe(200);
    expect((await emulator.stats()).refreshes).toBe(1);
    const after = await storedTokens(userId);
    expect(after?.refresh_token).not.toBe(before?.refresh_token);

    await emulator.expireTokens({ userId: digimeUser.id });
    const data = bytesOf(REPLAYABLE_BYTES + 5000, 6);
    const streamed = await upload(browser, uploadForm(data, undefined, "big.bin"));
    expect(await errorOf(streamed)).toMatchObject({
      status: 503,
      code: "TOKEN_REFRESHED_RETRY",
      retryAfter: "0",
    });
    // The typed client sends once more by itself.
    const client = createClient(ORIGIN, { fetch: browser.fetchForClient });
    await emulator.expireTokens({ userId: digimeUser.id });
    const result = await client.upload(new Blob([data]), undefined, { fileName: "big.bin" });
    expect(result).toEqual({ status: "delivered", fileName: "big.bin", bytes: data.length });
    const files = await importedFiles(digimeUser.id);
    expect(files.map((f) => f.size).sort((a, b) => a - b)).toEqual([5000, data.length]);
    expect((await emulator.stats()).refreshes).toBe(3);
  });

  it("POST /api/sealed-files responds with 409 SEALING_UNAVAILABLE before anything else, and the client says so before sealing", async () => {
    const { browser } = await signedInImportUser();
    const sealed = await browser.fetch("/api/sealed-files", {
      method: "POST",
      origin: APP_ORIGIN,
      headers: { "Content-Type": "application/octet-stream" },
      body: bytesOf(32),
    });
    expectSecurityHeaders(sealed);
    expect(await errorOf(sealed)).toMatchObject({ status: 409, code: "SEALING_UNAVAILABLE" });
    // Signed out too (the route does not exist for this contract), but CSRF first.
    const anonymous = await new Browser().fetch("/api/sealed-files", { method: "POST", origin: APP_ORIGIN });
    expect(await errorOf(anonymous)).toMatchObject({ status: 409, code: "SEALING_UNAVAILABLE" });
    const foreign = await new Browser().fetch("/api/sealed-files", {
      method: "POST",
      origin: "https://evil.test",
    });
    expect(await errorOf(foreign)).toMatchObject({ status: 403, code: "CSRF_ORIGIN" });
    const client = createClient(ORIGIN, { fetch: browser.fetchForClient });
    await expect(client.uploadSealed(new Blob(["x"]))).rejects.toMatchObject({
      status: 409,
      code: "SEALING_UNAVAILABLE",
    });
  });
});

describe("sign-in again", () => {
  it("a second sign-in of the same browser gets a fresh session that imports too", async () => {
    const { browser, userId } = await signedInImportUser();
    await signIn(browser);
    expect(browser.userId).not.toBe(userId);
    const response = await upload(browser, uploadForm("again", undefined, "again.txt"));
    expect(response.status).toBe(200);
  });
});
