import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { expectSecurityHeaders } from "./support/answers.ts";
import { Browser, preflight, signedInBrowser } from "./support/browser.ts";
import { bytesOf } from "./support/bytes.ts";
import { emulator } from "./support/emulator-admin.ts";
import { postFiles, upload, uploadForm } from "./support/posts.ts";
import { SIGNED_OUT, sessionOf } from "./support/session-checks.ts";
import { APP_ORIGIN, ORIGIN, SESSION_COOKIE } from "./support/test-env.ts";
import { postboxOf } from "./support/vault-access.ts";

const enc = new TextEncoder();

async function expectError(response: Response, status: number, code: string): Promise<string> {
  const body = (await response.json()) as { error?: { code?: string; message?: string } };
  expect({ status: response.status, code: body.error?.code }).toEqual({ status, code });
  expect(typeof body.error?.message).toBe("string");
  return body.error?.message as string;
}

/** A multipart body as a stream of unknown length, so only reading can find its size. */
function streamedForm(parts: { head: string; body: Uint8Array | string }[], boundary = "b0undary") {
  const chunks: Uint8Array[] = [];
  for (const part of parts) {
    chunks.push(enc.encode(`--${boundary}\r\n${part.head}\r\n\r\n`));
    chunks.push(typeof part.body === "string" ? enc.encode(part.body) : part.body);
    chunks.push(enc.encode("\r\n"));
  }
  chunks.push(enc.encode(`--${boundary}--\r\n`));
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[i++];
      if (!chunk) return controller.close();
      // Hand big parts over in 64 KiB pieces, as a network would.
      for (let at = 0; at < chunk.length; at += 65536) controller.enqueue(chunk.subarray(at, at + 65536));
    },
  });
  return {
    body: stream,
    headers: { "Content-Type": `multipart/form-data; boundary=${boundary}` },
    duplex: "half",
  } as RequestInit;
}

const FILE_HEAD =
  'Content-Disposition: form-data; name="file"; filename="f.bin"\r\nContent-Type: application/octet-stream';
const DESCRIPTOR_HEAD = 'Content-Disposition: form-data; name="fileDescriptor"';

describe("refusals", () => {
  it("401 without a session, and with a forged one", async () => {
    const browser = new Browser();
    await expectError(await upload(browser, uploadForm("x")), 401, "UNAUTHENTICATED");
    browser.cookies.set(SESSION_COOKIE, "s1.AAAAAAAAAAAAAAAAAAAAAAAA.99999999999~forged");
    await expectError(await upload(browser, uploadForm("x")), 401, "UNAUTHENTICATED");
    expect(await sessionOf(browser)).toEqual(SIGNED_OUT);
  });

  it("403 for a state-changing request from a foreign or missing Origin", async () => {
    const browser = await signedInBrowser();
    await expectError(
      await upload(browser, uploadForm("x"), { origin: "https://evil.test" }),
      403,
      "CSRF_ORIGIN",
    );
    await expectError(await upload(browser, uploadForm("x"), { origin: null }), 403, "CSRF_ORIGIN");
    await expectError(
      await browser.fetch("/auth/logout", { method: "POST", origin: "https://evil.test" }),
      403,
      "CSRF_ORIGIN",
    );
    // Still signed in: the forged logout did nothing.
    expect(await (await browser.fetch("/api/session")).json()).toMatchObject({ authenticated: true });
    // The Worker's own origin and the app's are fine.
    expect((await upload(browser, uploadForm("ok"), { origin: ORIGIN })).status).toBe(200);
  });

  it("CORS only for allowed origins, with credentials", async () => {
    const browser = new Browser();
    const filesPreflight = (origin: string) =>
      preflight(browser, "/api/files", origin, "POST", "content-type");
    const allowed = await filesPreflight(APP_ORIGIN);
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe(APP_ORIGIN);
    expect(allowed.headers.get("Access-Control-Allow-Credentials")).toBe("true");
    expect(allowed.headers.get("Access-Control-Allow-Methods")).toContain("POST");

    const foreign = await filesPreflight("https://evil.test");
    expect(foreign.headers.get("Access-Control-Allow-Origin")).toBeNull();
    const simple = await browser.fetch("/api/session", { origin: "https://evil.test" });
    expect(simple.headers.get("Access-Control-Allow-Origin")).toBeNull();
    const ok = await browser.fetch("/api/session", { origin: APP_ORIGIN });
    expect(ok.headers.get("Access-Control-Allow-Origin")).toBe(APP_ORIGIN);
    expect(ok.headers.get("Vary")).toContain("Origin");
  });

  it("413 from Content-Length, before reading the body", async () => {
    const browser = await signedInBrowser();
    const answer = await upload(browser, uploadForm("x"), {
      headers: { "Content-Length": String(64 * 1024 * 1024) },
      env: { MAX_UPLOAD_BYTES: "1024" },
    });
    await expectError(answer, 413, "PAYLOAD_TOO_LARGE");
  });

  it("413 while streaming, and nothing is delivered", async () => {
    const browser = await signedInBrowser();
    const postboxId = await postboxOf(browser.userId as string);
    const answer = await postFiles(browser, {
      ...streamedForm([{ head: FILE_HEAD, body: bytesOf(3 * 1024 * 1024) }]),
      env: { MAX_UPLOAD_BYTES: String(2 * 1024 * 1024) },
    });
    await expectError(answer, 413, "PAYLOAD_TOO_LARGE");
    expect(await emulator.files(postboxId)).toEqual([]);
    // Within the limit, the same streamed form goes through.
    const fine = await postFiles(browser, {
      ...streamedForm([{ head: FILE_HEAD, body: bytesOf(1024 * 1024) }]),
      env: { MAX_UPLOAD_BYTES: String(2 * 1024 * 1024) },
    });
    expect(fine.status).toBe(200);
    expect(await emulator.files(postboxId)).toHaveLength(1);
  });

  it("400 for a missing file part, a non-multipart body and a malformed one", async () => {
    const browser = await signedInBrowser();
    const form = new FormData();
    form.append("fileDescriptor", "{}");
    await expectError(await upload(browser, form), 400, "MISSING_FILE");
    await expectError(
      await postFiles(browser, {
        body: "{}",
        headers: { "Content-Type": "application/json" },
      }),
      400,
      "BAD_MULTIPART",
    );
    const truncated = await postFiles(browser, {
      body: `--b\r\n${FILE_HEAD}\r\n\r\nno closing boundary`,
      headers: { "Content-Type": "multipart/form-data; boundary=b" },
    });
    await expectError(truncated, 400, "BAD_MULTIPART");
  });

  it.each([
    ["not JSON", "{"],
    ["a bad mimeType", { mimeType: "no type" }],
    ["an unknown field", { mimeType: "text/plain", secretField: 1 }],
    ["empty accounts", { accounts: [] }],
    ["tags not a list", { tags: "a" }],
  ])("400 for a descriptor with %s", async (_what, descriptor) => {
    const browser = await signedInBrowser();
    await expectError(await upload(browser, uploadForm("x", descriptor)), 400, "BAD_DESCRIPTOR");
  });

  it("400 for a descriptor after the file, and nothing is delivered", async () => {
    const browser = await signedInBrowser();
    const postboxId = await postboxOf(browser.userId as string);
    const answer = await postFiles(browser, {
      ...streamedForm([
        { head: FILE_HEAD, body: bytesOf(2 * 1024 * 1024) },
        { head: DESCRIPTOR_HEAD, body: '{"mimeType":"text/plain"}' },
      ]),
    });
    await expectError(answer, 400, "DESCRIPTOR_AFTER_FILE");
    expect(await emulator.files(postboxId)).toEqual([]);
  });

  it("refuses a forged, foreign or replayed state", async () => {
    const browser = new Browser();
    const start = await browser.fetch("/auth/start");
    const consent = await fetch(start.headers.get("Location") as string, { redirect: "manual" });
    const callback = new URL(consent.headers.get("Location") as string);

    // Forged: another state than the one this browser started.
    const forged = new URL(callback);
    forged.searchParams.set("state", "AAAAAAAAAAAAAAAAAAAAAAAA.forged");
    const copy = new Browser();
    for (const [k, v] of browser.cookies) copy.cookies.set(k, v);
    await expectError(await copy.fetch(forged.href), 400, "BAD_STATE");

    // Foreign: a browser that did not start it (login CSRF).
    await expectError(await new Browser().fetch(callback.href), 400, "BAD_STATE");

    // The real one works once...
    const replayer = new Browser();
    for (const [k, v] of browser.cookies) replayer.cookies.set(k, v);
    expect((await browser.fetch(callback.href)).status).toBe(302);
    // ... and replaying it (even with the old cookie) is refused.
    await expectError(await replayer.fetch(callback.href), 400, "BAD_STATE");
  });

  it.each([
    "//evil.test/",
    "https://evil.test/",
    "/\\evil.test",
    "https://app.test.evil.test/",
    "javascript:alert(1)",
  ])("refuses returnTo=%s (no open redirect)", async (returnTo) => {
    const answer = await new Browser().fetch(`/auth/start?returnTo=${encodeURIComponent(returnTo)}`);
    await expectError(answer, 400, "BAD_RETURN_TO");
    expect(answer.headers.get("Location")).toBeNull();
  });

  it("429 with Retry-After above the per-user rate", async () => {
    const browser = await signedInBrowser();
    const other = await signedInBrowser();
    const env = { RATE_LIMIT_PER_MINUTE: "3" };
    for (let i = 0; i < 3; i++)
      expect((await upload(browser, uploadForm(`n${i}`), { env })).status).toBe(200);
    const limited = await upload(browser, uploadForm("over"), { env });
    const message = await expectError(limited, 429, "RATE_LIMITED");
    expect(message).toContain("3");
    expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get("Retry-After"))).toBeLessThanOrEqual(20);
    // Per user: someone else is not limited.
    expect((await upload(other, uploadForm("other"), { env })).status).toBe(200);
  });

  it("500 naming a missing or malformed setting, never its value", async () => {
    const browser = new Browser();
    const missing = await browser.fetch("/api/session", { env: { SESSION_SECRET: undefined } });
    expect(await expectError(missing, 500, "CONFIG_INVALID")).toContain("SESSION_SECRET");

    const badValue = "https://not a url/with spaces";
    const malformed = await browser.fetch("/auth/start", { env: { DIGIME_BASE_URL: badValue } });
    const message = await expectError(malformed, 500, "CONFIG_INVALID");
    expect(message).toContain("DIGIME_BASE_URL");
    expect(message).not.toContain(badValue);

    const badKey = await browser.fetch("/api/session", {
      env: { DIGIME_PRIVATE_KEY: "secret-but-not-a-pem-0123456789" },
    });
    const keyMessage = await expectError(badKey, 500, "CONFIG_INVALID");
    expect(keyMessage).toContain("DIGIME_PRIVATE_KEY");
    expect(keyMessage).not.toContain("secret-but-not-a-pem");

    // A PEM of the right shape whose key is damaged: found when the Worker starts using it, not
    // later as a failed digi.me call.
    const realKey = (env as unknown as Env).DIGIME_PRIVATE_KEY;
    const lines = realKey.trim().split("\n");
    const damaged = [...lines.slice(0, 3), ...lines.slice(5)].join("\n");
    for (const path of ["/auth/start", "/api/session"]) {
      const answer = await new Browser().fetch(path, { env: { DIGIME_PRIVATE_KEY: damaged } });
      const text = await expectError(answer, 500, "CONFIG_INVALID");
      expect(text).toContain("DIGIME_PRIVATE_KEY");
      expect(text).not.toContain(lines[1] as string);
    }
  });

  // Every setting in the README's table, missing (when it has no default) and malformed.
  it.each([
    ["DIGIME_APPLICATION_ID", undefined],
    ["DIGIME_APPLICATION_ID", "   "],
    ["DIGIME_CONTRACT_ID", undefined],
    ["DIGIME_CONTRACT_ID", " \t "],
    ["DIGIME_PRIVATE_KEY", undefined],
    ["DIGIME_PRIVATE_KEY", "secret-but-not-a-pem-0123456789"],
    ["DIGIME_REDIRECT_URI", undefined],
    ["DIGIME_REDIRECT_URI", "not-a-url-redirect-marker"],
    ["DIGIME_REDIRECT_URI", "ftp://edge.test/auth/callback"],
    ["DIGIME_REDIRECT_URI", "https://edge.test/auth/elsewhere-marker"],
    ["DIGIME_REDIRECT_URI", "https://edge.test/"],
    ["DIGIME_REDIRECT_URI", "https://edge.test/auth/callback/"],
    ["DIGIME_REDIRECT_URI", "https://edge.test/prefix/auth/callback"],
    ["DIGIME_REDIRECT_URI", "https://edge.test/auth/callback?marker=1"],
    ["DIGIME_REDIRECT_URI", "https://edge.test/auth/callback#marker"],
    ["DIGIME_REDIRECT_URI", "https://edge.test/auth/callback?"],
    ["DIGIME_REDIRECT_URI", "https://user:pw-marker@edge.test/auth/callback"],
    ["DIGIME_BASE_URL", undefined],
    ["DIGIME_BASE_URL", "https://not a url/with spaces"],
    ["DIGIME_ONBOARD_URL", undefined],
    ["DIGIME_ONBOARD_URL", "javascript:onboard-marker"],
    ["SESSION_SECRET", undefined],
    ["SESSION_SECRET", "short-secret-marker"],
    ["SESSION_SECRET", "replace-with-at-least-32-random-characters"],
    ["SESSION_SECRET", "marker-".repeat(6)],
    ["ALLOWED_ORIGINS", "https://app.test/path-marker"],
    ["MAX_UPLOAD_BYTES", "12abc-marker"],
    ["RATE_LIMIT_PER_MINUTE", "-17"],
    ["BODY_TIMEOUT_SECONDS", "thirty-seconds"],
    ["BODY_TIMEOUT_SECONDS", "0"],
    ["SESSION_IDLE_TIMEOUT_SECONDS", "0"],
    ["SESSION_IDLE_TIMEOUT_SECONDS", "a-day-marker"],
    // https required except on loopback hosts.
    ["DIGIME_BASE_URL", "http://digime-marker.example/v1.7/"],
    ["DIGIME_ONBOARD_URL", "http://digime-marker.example/apps/saas/"],
    ["DIGIME_REDIRECT_URI", "http://edge-marker.test/auth/callback"],
    ["ALLOWED_ORIGINS", "http://app-marker.test"],
  ])("500 naming %s (given %j), never its value", async (setting, value) => {
    const answer = await new Browser().fetch("/api/session", { env: { [setting]: value } });
    const message = await expectError(answer, 500, "CONFIG_INVALID");
    expect(message).toContain(setting);
    if (value?.trim()) expect(message).not.toContain(value);
  });

  it("takes a DIGIME_REDIRECT_URI on another host (custom domain or proxy)", async () => {
    for (const uri of ["https://custom.example/auth/callback", "http://127.0.0.1:8787/auth/callback"]) {
      const answer = await new Browser().fetch("/api/session", { env: { DIGIME_REDIRECT_URI: uri } });
      expect(answer.status, uri).toBe(200);
    }
  });

  it("takes DIGIME_PRIVATE_KEY with \\n escapes: a whole sign-in signs with it", async () => {
    const realKey = (env as unknown as Env).DIGIME_PRIVATE_KEY;
    expect(realKey).toContain("\n");
    const overrides = { env: { DIGIME_PRIVATE_KEY: realKey.trim().replace(/\n/g, "\\n") } };
    expect(overrides.env.DIGIME_PRIVATE_KEY).not.toContain("\n");
    const browser = new Browser();
    const start = await browser.fetch("/auth/start?returnTo=%2Fdone", overrides);
    expect(start.status).toBe(302);
    // The emulator verifies the authorization request's JWT, signed with the escaped key ...
    const consent = await fetch(start.headers.get("Location") as string, { redirect: "manual" });
    expect(consent.status).toBe(302);
    // ... and the token exchange's.
    const done = await browser.fetch(consent.headers.get("Location") as string, overrides);
    expect(done.status, await done.clone().text()).toBe(302);
    expect(done.headers.get("Location")).toBe(`${ORIGIN}/done`);
    expect(browser.userId).toBeDefined();
  });

  it("every answer is JSON errors with security headers, unknown routes included", async () => {
    const browser = new Browser();
    const answers = [
      await browser.fetch("/nope"),
      await browser.fetch("/api/session"),
      await browser.fetch("/healthz"),
      await browser.fetch("/auth/start"),
      await upload(browser, uploadForm("x")),
      await browser.fetch("/api/session", { env: { SESSION_SECRET: undefined } }),
    ];
    await expectError(answers[0] as Response, 404, "NOT_FOUND");
    for (const answer of answers) expectSecurityHeaders(answer);
  });
});
