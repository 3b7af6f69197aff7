import { listDurableObjectIds, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createClient, EdgeClientError } from "../src/client.ts";
import { AUTH_LATE_MS, AUTH_TTL_MS } from "../src/lib/auth-window.ts";
import { Browser, signedInBrowser, signIn } from "./support/browser.ts";
import { bytesOf, sha256 } from "./support/bytes.ts";
import { emulator } from "./support/emulator-admin.ts";
import { upload, uploadForm } from "./support/posts.ts";
import { SIGNED_OUT, sessionOf } from "./support/session-checks.ts";
import { APP_ORIGIN, ORIGIN, PENDING_COOKIE, SESSION_COOKIE } from "./support/test-env.ts";
import { postboxOf, storedTokens } from "./support/vault-access.ts";

describe("the whole flow", () => {
  it("signs in, reports the session, uploads 5 MiB that the library holds byte for byte", async () => {
    const browser = new Browser();
    expect(await sessionOf(browser)).toEqual(SIGNED_OUT);

    const start = await browser.fetch("/auth/start?returnTo=%2Fdone");
    expect(start.status).toBe(302);
    const authCookie = start.headers.getSetCookie().find((c) => c.startsWith(`${PENDING_COOKIE}=`));
    expect(authCookie).toMatch(/HttpOnly/i);
    expect(authCookie).toMatch(/Secure/i);
    expect(authCookie).toMatch(/SameSite=Lax/i);
    expect(authCookie).toMatch(/Path=\/(;|$)/i);
    // The sign-in window and the late window (a late callback still finds its state).
    expect(authCookie).toMatch(new RegExp(`Max-Age=${(AUTH_TTL_MS + AUTH_LATE_MS) / 1000}(;|$)`, "i"));

    const consent = await fetch(start.headers.get("Location") as string, { redirect: "manual" });
    const callback = await browser.fetch(consent.headers.get("Location") as string);
    expect(callback.status).toBe(302);
    expect(callback.headers.get("Location")).toBe(`${ORIGIN}/done`);
    const session = callback.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    expect(session).toMatch(/HttpOnly/i);
    expect(session).toMatch(/Secure/i);
    expect(session).toMatch(/SameSite=Lax/i);
    expect(browser.cookies.has(PENDING_COOKIE)).toBe(false);

    const userId = browser.userId as string;
    const info = await browser.fetch("/api/session");
    // Public information only: the postbox key (for sealed uploads) and the default account id.
    expect(await info.json()).toEqual({
      authenticated: true,
      canWrite: true,
      writeApi: "postbox",
      canSeal: true,
      accountId: userId,
      publicKey: expect.stringMatching(/^-----BEGIN (RSA )?PUBLIC KEY-----\n/),
    });

    const postboxId = await postboxOf(userId);
    const data = bytesOf(5 * 1024 * 1024, 7);
    const answer = await upload(
      browser,
      uploadForm(
        data,
        { mimeType: "application/x-test", tags: ["edge"], reference: ["ref-1"] },
        "../../big\u0000file.bin",
      ),
    );
    const body = (await answer.json()) as Record<string, unknown>;
    expect(answer.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ status: "delivered", fileName: "bigfile.bin", bytes: data.length });
    expect(typeof body.expires).toBe("number");

    const files = await emulator.files(postboxId);
    expect(files).toHaveLength(1);
    const [file] = files;
    expect(file?.fileName).toBe("bigfile.bin");
    expect(file?.size).toBe(data.length);
    expect(file?.sha256).toBe(await sha256(data));
    expect(await emulator.download(file?.url as string)).toEqual(data);
    expect(file?.metadata).toEqual({
      mimeType: "application/x-test",
      accounts: [{ accountId: userId }],
      reference: ["ref-1"],
      tags: ["edge"],
    });
  });

  it("Secure cookies and HSTS only on https: over http (wrangler dev) the cookie is still HttpOnly and Lax", async () => {
    const start = await new Browser().fetch("http://edge.test/auth/start");
    expect(start.status).toBe(302);
    const authCookie = start.headers.getSetCookie().find((c) => c.startsWith("digime_auth=")) as string;
    expect(authCookie).toMatch(/HttpOnly/i);
    expect(authCookie).toMatch(/SameSite=Lax/i);
    expect(authCookie).not.toMatch(/Secure/i);
    expect(start.headers.get("Strict-Transport-Security")).toBeNull();
    const out = await new Browser().fetch("http://edge.test/auth/logout", {
      method: "POST",
      origin: "http://edge.test",
    });
    expect(out.status).toBe(200);
    const cleared = out.headers.getSetCookie().find((c) => c.startsWith("digime_session=")) as string;
    expect(cleared).toMatch(/HttpOnly/i);
    expect(cleared).not.toMatch(/Secure/i);
  });

  it("defaults mimeType to the file part's type and takes a small upload", async () => {
    const browser = await signedInBrowser();
    const form = new FormData();
    form.append("file", new File(["hello"], "hello.txt", { type: "text/plain" }));
    const answer = await upload(browser, form);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ status: "delivered", fileName: "hello.txt", bytes: 5 });
    const [file] = await emulator.files(await postboxOf(browser.userId as string));
    expect(file?.metadata).toMatchObject({ mimeType: "text/plain" });
  });

  it("returns to an allowed app origin, and signing out forgets the user's tokens", async () => {
    const browser = new Browser();
    expect(await signIn(browser, `${APP_ORIGIN}/after?x=1`)).toBe(`${APP_ORIGIN}/after?x=1`);
    const userId = browser.userId as string;
    expect(await storedTokens(userId)).not.toBeNull();

    const out = await browser.fetch("/auth/logout", { method: "POST", origin: APP_ORIGIN });
    expect(out.status).toBe(200);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
    expect(await storedTokens(userId)).toBeNull();
    expect(await sessionOf(browser)).toEqual(SIGNED_OUT);
  });

  it("a failed consent reaches the app as an error code", async () => {
    const browser = new Browser();
    const start = await browser.fetch(`/auth/start?returnTo=${encodeURIComponent(`${APP_ORIGIN}/back`)}`);
    const onboarding = new URL(start.headers.get("Location") as string);
    // digi.me calls the `callback` it was given with success=false when the person declines.
    const callback = new URL(onboarding.searchParams.get("callback") as string);
    // The Worker's error route, with the sign-in's state (only that ends the sign-in).
    expect(`${callback.origin}${callback.pathname}`).toBe(`${ORIGIN}/auth/error`);
    expect(callback.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]{32}$/);
    callback.searchParams.set("success", "false");
    callback.searchParams.set("errorCode", "AccessDenied");
    const answer = await browser.fetch(callback.href);
    expect(answer.status).toBe(302);
    expect(answer.headers.get("Location")).toBe(`${APP_ORIGIN}/back?digimeError=AccessDenied`);
    expect(browser.userId).toBeUndefined();
  });

  it("the typed client checks the session, builds the sign-in URL and uploads", async () => {
    const browser = await signedInBrowser();
    const client = createClient(ORIGIN, { fetch: browser.fetchForClient });
    expect(await client.session()).toMatchObject({ authenticated: true, canWrite: true });
    expect(client.signInUrl("/x?y=1")).toBe(`${ORIGIN}/auth/start?returnTo=%2Fx%3Fy%3D1`);
    const progress: number[] = [];
    const result = await client.upload(
      new Blob([bytesOf(100_000)]),
      { tags: ["client"] },
      {
        fileName: "from-client.bin",
        onProgress: (sent) => progress.push(sent),
      },
    );
    expect(result).toMatchObject({ status: "delivered", fileName: "from-client.bin", bytes: 100_000 });
    expect(progress.at(-1)).toBe(100_000);

    const refused = await client.upload(new Blob(["x"]), { mimeType: "not a type" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(EdgeClientError);
    expect(refused).toMatchObject({ status: 400, code: "BAD_DESCRIPTOR" });

    await client.signOut();
    expect(await client.session()).toEqual(SIGNED_OUT);
  });

  it("/healthz responds without configuration", async () => {
    const answer = await new Browser().fetch("/healthz", { env: { SESSION_SECRET: undefined } });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ status: "ok" });
  });
});

const testEnv = env as unknown as Env;

describe("the vault", () => {
  it("is made by a valid callback only, and one whose sign-in never stored tokens deletes itself", async () => {
    const before = new Set((await listDurableObjectIds(testEnv.USER_VAULT)).map(String));
    const browser = new Browser();
    const start = await browser.fetch("/auth/start");
    expect((await listDurableObjectIds(testEnv.USER_VAULT)).length).toBe(before.size);
    // The callback claims the sign-in's vault; digi.me then refuses the code (already spent).
    const consent = await fetch(start.headers.get("Location") as string, { redirect: "manual" });
    const callback = new URL(consent.headers.get("Location") as string);
    callback.searchParams.set("code", "not-a-code-of-digime");
    const failed = await browser.fetch(callback.href);
    expect(new URL(failed.headers.get("Location") as string).searchParams.get("digimeError")).toMatch(
      /^DIGIME_/,
    );
    const ids = await listDurableObjectIds(testEnv.USER_VAULT);
    const made = ids.filter((id) => !before.has(String(id)));
    expect(made).toHaveLength(1);
    const stub = testEnv.USER_VAULT.get(made[0] as DurableObjectId);
    const claims = () =>
      runInDurableObject(
        stub,
        (_i, s) => s.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sign_in").one().n,
      );
    expect(await claims()).toBe(1);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await claims()).toBe(0);
    expect(await runInDurableObject(stub, (_i, s) => s.storage.getAlarm())).toBeNull();
  });
});
