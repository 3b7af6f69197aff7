/**
 * Attacks on the Worker, beyond what `test/refusals.test.ts` covers (401 without a session, 403 for
 * a foreign or missing `Origin` on `/api/files` and logout, one CORS preflight, forged/foreign/
 * replayed `state`, five `returnTo`s, 413 by `Content-Length` and while streaming):
 *
 * - session cookies: another user's, with the signed id swapped, tampered bit by bit, truncated,
 *   signed with another key, expired, or left over after logout;
 * - sign-in: a replayed authorization code, a victim's unused code injected into the attacker's
 *   sign-in, a tampered or foreign pending sign-in cookie, a pending sign-in that has expired;
 * - cross-site: every state-changing route from no, a foreign, a `null` and look-alike origins;
 *   CORS preflights from origins not allowed on every route;
 * - open redirects through `returnTo`, raw and percent-encoded;
 * - bodies: a `Content-Length` that lies (shorter or longer than the body), oversize headers,
 *   bodies trickled slowly or stalled;
 * - file names with path tricks, stored sanitised in the library.
 *
 * Slow bodies. Neither workerd nor Cloudflare bounds how long a Worker waits for a request body:
 * an HTTP request has no wall-time limit while the client stays connected, and waiting costs no
 * CPU time, so nothing in the platform ends a body that stalls or trickles (Cloudflare's documented
 * connection limits are keep-alive and origin timeouts, which do not apply to a Worker reading its
 * own request). The Worker bounds it itself: each 256 KiB of an upload's body must arrive within
 * `BODY_TIMEOUT_SECONDS` (default 30), else 408 `BODY_TIMEOUT` and the digi.me request, if begun,
 * is aborted. Towards digi.me, sdk-core ends a request that makes no progress for 30 s.
 */
import { env } from "cloudflare:workers";
import { seal } from "@digime-edge/sdk-core";
import { describe, expect, it } from "vitest";
import { AUTH_LATE_MS, AUTH_TTL_MS } from "../../src/lib/auth-window.ts";
import { openCookie, sealCookie } from "../../src/lib/sealed-cookie.ts";
import { PENDING_PURPOSE } from "../../src/lib/session.ts";
import { sign } from "../../src/lib/signing.ts";
import { MAX_FORM_PARTS } from "../../src/routes/files.ts";
import { errorOf, expectSecurityHeaders } from "../support/answers.ts";
import { Browser, preflight, signedInBrowser, signedInUser, signIn } from "../support/browser.ts";
import { bytesOf, sha256, streamOf } from "../support/bytes.ts";
import { emulator } from "../support/emulator-admin.ts";
import { postFiles, upload, uploadForm } from "../support/posts.ts";
import { publicKeyOf, sealFor, uploadSealedParts } from "../support/sealed-uploads.ts";
import { APP_ORIGIN, ORIGIN, PENDING_COOKIE, SESSION_COOKIE } from "../support/test-env.ts";
import { postboxOf, storedTokens } from "../support/vault-access.ts";

const SESSION_SECRET = (env as unknown as Env).SESSION_SECRET;
const enc = new TextEncoder();

/** The session cookie's signed value, decoded: `s1.<userId>.<expires>` and its MAC. */
function sessionOf(browser: Browser): { payload: string; mac: string; userId: string; expires: string } {
  const value = decodeURIComponent(browser.cookies.get(SESSION_COOKIE) as string);
  const at = value.lastIndexOf("~");
  const payload = value.slice(0, at);
  const [, userId = "", expires = ""] = payload.split(".");
  return { payload, mac: value.slice(at + 1), userId, expires };
}

/** A browser whose only cookie is a session cookie of value `value`. */
function withSession(value: string): Browser {
  const browser = new Browser();
  browser.cookies.set(SESSION_COOKIE, encodeURIComponent(value));
  return browser;
}

async function isSignedIn(browser: Browser): Promise<boolean> {
  const answer = await browser.fetch("/api/session");
  return ((await answer.json()) as { authenticated: boolean }).authenticated;
}

function base64UrlToBytes(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function bytesToBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** Another character of the same kind (digit, letter), so that only the value changes. */
function flipped(c: string): string {
  if (/[0-9]/.test(c)) return String((Number(c) + 1) % 10);
  if (/[a-y]/i.test(c)) return String.fromCharCode(c.charCodeAt(0) + 1);
  if (c === "z") return "a";
  if (c === "Z") return "A";
  return c === "-" ? "_" : c === "_" ? "-" : "x";
}

/** Starts a sign-in in `browser` and gives consent: the callback URL digi.me sends it to. */
async function consentFor(browser: Browser, returnTo?: string): Promise<URL> {
  const query = returnTo === undefined ? "" : `?returnTo=${encodeURIComponent(returnTo)}`;
  const start = await browser.fetch(`/auth/start${query}`);
  expect(start.status).toBe(302);
  const consent = await fetch(start.headers.get("Location") as string, { redirect: "manual" });
  return new URL(consent.headers.get("Location") as string);
}

describe("session cookies", () => {
  it("user A's cookie reaches only A's vault; swapping in B's id, or B's signature, is refused", async () => {
    const a = await signedInBrowser();
    const b = await signedInBrowser();
    const aPostbox = await postboxOf(a.userId as string);
    const bPostbox = await postboxOf(b.userId as string);
    expect(aPostbox).not.toBe(bPostbox);

    // A's cookie in any browser is A (the cookie is the bearer): A's account, A's library.
    const stolen = withSession(decodeURIComponent(a.cookies.get(SESSION_COOKIE) as string));
    const info = (await (await stolen.fetch("/api/session")).json()) as { accountId?: string };
    expect(info.accountId).toBe(a.userId);
    expect((await upload(stolen, uploadForm("for A", undefined, "a.txt"))).status).toBe(200);
    expect((await emulator.files(aPostbox)).map((f) => f.fileName)).toEqual(["a.txt"]);
    expect(await emulator.files(bPostbox)).toEqual([]);

    const sa = sessionOf(a);
    const sb = sessionOf(b);
    const forged = [
      `s1.${sb.userId}.${sa.expires}~${sa.mac}`, // B's id under A's signature
      `${sa.payload}~${sb.mac}`, // A's payload, B's signature
      `s1.${sb.userId}.${sb.expires}~${sa.mac}`,
      `s1.${sb.userId}.${sa.expires}.${sa.userId}~${sa.mac}`,
    ];
    for (const value of forged) {
      const browser = withSession(value);
      expect(await isSignedIn(browser), value).toBe(false);
      expect(await errorOf(await upload(browser, uploadForm("x")))).toMatchObject({
        status: 401,
        code: "UNAUTHENTICATED",
      });
      // A logout with it forgets nobody.
      expect((await browser.fetch("/auth/logout", { method: "POST" })).status).toBe(200);
    }
    expect(await emulator.files(bPostbox)).toEqual([]);
    expect(await storedTokens(b.userId as string)).not.toBeNull();
    expect(await storedTokens(a.userId as string)).not.toBeNull();
    expect(await isSignedIn(b)).toBe(true);
  });

  it("every tampered, truncated or re-signed variant of a valid cookie is refused", async () => {
    const a = await signedInBrowser();
    const { payload, mac, userId } = sessionOf(a);
    const variants = new Set<string>();
    // One character of the payload changed: version, id, separators, expiry.
    for (let i = 0; i < payload.length; i++)
      variants.add(`${payload.slice(0, i)}${flipped(payload[i] as string)}${payload.slice(i + 1)}~${mac}`);
    // One bit of the MAC flipped (in its bytes, so that the encoding really changes them).
    const macBytes = base64UrlToBytes(mac);
    expect(macBytes).toHaveLength(32);
    for (const byte of [0, 1, 15, 16, 30, 31]) {
      for (const bit of [0, 3, 7]) {
        const copy = macBytes.slice();
        copy[byte] = (copy[byte] as number) ^ (1 << bit);
        variants.add(`${payload}~${bytesToBase64Url(copy)}`);
      }
    }
    const value = `${payload}~${mac}`;
    for (const cut of [0, 1, 3, payload.length - 1, payload.length, payload.length + 1, value.length - 2])
      variants.add(value.slice(0, cut));
    variants.add(`${value}A`);
    variants.add(`${value}~${mac}`);
    variants.add(`${payload}~~${mac}`);
    variants.add(`${payload}~${mac}=`);
    variants.add(`${payload} ~${mac}`);
    variants.add(mac);
    variants.add(payload);
    variants.add(`${payload}~${bytesToBase64Url(new Uint8Array(32))}`);
    // Signed properly, but with another key.
    variants.add(await sign("another-session-secret-0123456789abcdef", payload));
    variants.delete(value);

    expect(variants.size).toBeGreaterThan(50);
    for (const variant of variants) {
      expect(await isSignedIn(withSession(variant)), JSON.stringify(variant)).toBe(false);
    }
    // The real one still works (the variants did not sign anyone out).
    expect(await isSignedIn(withSession(value))).toBe(true);
    expect(userId).toBe(a.userId);
  });

  it("an expired cookie, and a cookie left over after logout, are refused", async () => {
    const a = await signedInBrowser();
    const userId = a.userId as string;
    const now = Math.floor(Date.now() / 1000);
    // Made with the real key: the control proves that only the expiry differs.
    const valid = await sign(SESSION_SECRET, `s1.${userId}.${now + 3600}`);
    expect(await isSignedIn(withSession(valid))).toBe(true);
    for (const expires of [now - 1, now - 86_400, 0, -1]) {
      const expired = withSession(await sign(SESSION_SECRET, `s1.${userId}.${expires}`));
      expect(await isSignedIn(expired), String(expires)).toBe(false);
      expect((await upload(expired, uploadForm("x"))).status).toBe(401);
    }
    // Not a number, or no expiry at all.
    for (const payload of [`s1.${userId}.soon`, `s1.${userId}`, `s1.${userId}.`, `s2.${userId}.${now + 60}`])
      expect(await isSignedIn(withSession(await sign(SESSION_SECRET, payload))), payload).toBe(false);

    const leftover = sessionOf(a);
    expect((await a.fetch("/auth/logout", { method: "POST" })).status).toBe(200);
    const old = withSession(`${leftover.payload}~${leftover.mac}`);
    expect(await isSignedIn(old)).toBe(false);
    expect(await errorOf(await upload(old, uploadForm("x")))).toMatchObject({
      status: 401,
      code: "UNAUTHENTICATED",
    });
  });
});

describe("sign-in", () => {
  it("a replayed authorization code gives no session", async () => {
    const victim = new Browser();
    const victimCallback = await consentFor(victim);
    expect((await victim.fetch(victimCallback.href)).status).toBe(302);
    expect(victim.userId).toBeDefined();
    const exchanges = (await emulator.stats()).codeExchanges;

    // The attacker starts a sign-in of their own (a valid state) and presents the used code.
    const attacker = new Browser();
    const own = await consentFor(attacker);
    own.searchParams.set("code", victimCallback.searchParams.get("code") as string);
    const answer = await attacker.fetch(own.href);
    expect(answer.status).toBe(302);
    const location = new URL(answer.headers.get("Location") as string);
    expect(location.origin).toBe(ORIGIN);
    expect(location.searchParams.get("digimeError")).toMatch(/^DIGIME_/);
    expect(attacker.cookies.has(SESSION_COOKIE)).toBe(false);
    expect(await isSignedIn(attacker)).toBe(false);
    expect((await emulator.stats()).codeExchanges).toBe(exchanges);
  });

  it("a victim's unused code injected into the attacker's sign-in fails PKCE, and is spent", async () => {
    const victim = new Browser();
    const victimCallback = await consentFor(victim, `${APP_ORIGIN}/v`);
    const attacker = new Browser();
    const own = await consentFor(attacker);
    own.searchParams.set("code", victimCallback.searchParams.get("code") as string);
    const answer = await attacker.fetch(own.href);
    expect(answer.status).toBe(302);
    expect(new URL(answer.headers.get("Location") as string).searchParams.get("digimeError")).toMatch(
      /^DIGIME_/,
    );
    expect(attacker.cookies.has(SESSION_COOKIE)).toBe(false);
    // The code verifier belongs to the victim's sign-in, so the code is useless to the attacker;
    // the emulator (as OAuth 2.1 asks) spends a code on any attempt, so the victim must start over.
    const late = await victim.fetch(victimCallback.href);
    expect(new URL(late.headers.get("Location") as string).searchParams.get("digimeError")).toMatch(
      /^DIGIME_/,
    );
    expect(victim.cookies.has(SESSION_COOKIE)).toBe(false);
    expect(await signIn(victim, `${APP_ORIGIN}/v`)).toBe(`${APP_ORIGIN}/v`);
  });

  it("a tampered, foreign-sealed or missing pending cookie, and an expired pending sign-in, are refused", async () => {
    const browser = new Browser();
    const callback = await consentFor(browser);
    const cookie = decodeURIComponent(browser.cookies.get(PENDING_COOKIE) as string);
    const state = callback.searchParams.get("state") as string;
    // Encrypted: the state does not show.
    expect(cookie).not.toContain(state);
    const opened = JSON.parse((await openCookie(SESSION_SECRET, PENDING_PURPOSE, cookie)) as string) as [
      string,
      string,
      string,
      number,
      string,
    ];
    expect(opened[0]).toBe(state);

    const withPending = (value: string | undefined) => {
      const b = new Browser();
      if (value !== undefined) b.cookies.set(PENDING_COOKIE, encodeURIComponent(value));
      return b;
    };
    const [version, body = ""] = cookie.split(".");
    const bytes = base64UrlToBytes(body);
    const flippedAt = (at: number) => {
      const copy = bytes.slice();
      copy[at] = (copy[at] as number) ^ 1;
      return `${version}.${bytesToBase64Url(copy)}`;
    };
    const badCookies = [
      undefined,
      flippedAt(0), // the iv
      flippedAt(20), // the ciphertext
      flippedAt(bytes.length - 1), // the tag
      cookie.slice(0, -4),
      `g2.${body}`,
      await sealCookie("another-session-secret-0123456789abcdef", PENDING_PURPOSE, JSON.stringify(opened)),
      // Sealed with the real key for another purpose, and a signed (not sealed) value.
      await sealCookie(SESSION_SECRET, "session v1", JSON.stringify(opened)),
      await sign(SESSION_SECRET, `a1.${state}`),
    ];
    for (const value of badCookies) {
      const answer = await withPending(value).fetch(callback.href);
      expect(await errorOf(answer), String(value)).toMatchObject({ status: 400, code: "BAD_STATE" });
      expect(answer.headers.get("Location")).toBeNull();
    }
    const noState = new URL(callback);
    noState.searchParams.delete("state");
    expect(await errorOf(await withPending(cookie).fetch(noState.href))).toMatchObject({ code: "BAD_STATE" });
    expect(await errorOf(await new Browser().fetch("/auth/error?errorCode=X"))).toMatchObject({
      code: "BAD_STATE",
    });

    // The genuine state, in a cookie (made with the real key) whose sign-in started past its
    // window: no session, and the browser goes back to its app with SIGN_IN_EXPIRED.
    const started = Date.now() - AUTH_TTL_MS - 1000;
    const late = withPending(
      await sealCookie(
        SESSION_SECRET,
        PENDING_PURPOSE,
        JSON.stringify([...opened.slice(0, 3), started, opened[4]]),
      ),
    );
    const answer = await late.fetch(callback.href);
    expect(answer.status).toBe(302);
    expect(answer.headers.get("Location")).toBe(`${ORIGIN}/?digimeError=SIGN_IN_EXPIRED`);
    expect(answer.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(false);
    expect(late.cookies.has(SESSION_COOKIE)).toBe(false);
    expect(late.cookies.has(PENDING_COOKIE)).toBe(false);
    // Nothing was stored for it: the genuine browser still completes its own sign-in once.
    expect((await browser.fetch(callback.href)).status).toBe(302);
    expect(browser.userId).toBe(opened[4]);
    const replayer = withPending(cookie);
    expect(await errorOf(await replayer.fetch(callback.href))).toMatchObject({
      status: 400,
      code: "BAD_STATE",
    });
  });

  it("a pending sign-in past its late window is refused", async () => {
    const browser = new Browser();
    const callback = await consentFor(browser);
    const cookie = decodeURIComponent(browser.cookies.get(PENDING_COOKIE) as string);
    const opened = JSON.parse(
      (await openCookie(SESSION_SECRET, PENDING_PURPOSE, cookie)) as string,
    ) as unknown[];
    const started = Date.now() - AUTH_TTL_MS - AUTH_LATE_MS - 1000;
    const stale = new Browser();
    stale.cookies.set(
      PENDING_COOKIE,
      encodeURIComponent(
        await sealCookie(
          SESSION_SECRET,
          PENDING_PURPOSE,
          JSON.stringify([...opened.slice(0, 3), started, opened[4]]),
        ),
      ),
    );
    expect(await errorOf(await stale.fetch(callback.href))).toMatchObject({ status: 400, code: "BAD_STATE" });
    expect(stale.cookies.has(SESSION_COOKIE)).toBe(false);
  });
});

describe("cross-site requests", () => {
  const foreign = [
    null,
    "null",
    "https://evil.test",
    "https://app.test.evil.test",
    "https://evil.test.app.test",
    "http://app.test",
    "https://app.test:8443",
    "https://edge.test.evil.test",
    "http://edge.test",
    "https://APP.TEST",
    "https://app.test/",
    "https://app.test, https://evil.test",
    "",
  ];

  it("every state-changing route refuses a missing, null, foreign or look-alike Origin, and nothing happens", async () => {
    const browser = await signedInBrowser();
    const userId = browser.userId as string;
    const postboxId = await postboxOf(userId);
    const sealed = await seal({
      publicKey: await publicKeyOf(browser),
      fileData: bytesOf(1000),
      fileDescriptor: { mimeType: "text/plain", accounts: [{ accountId: userId }] },
    });
    await emulator.resetStats();
    for (const origin of foreign) {
      const answers = [
        await upload(browser, uploadForm("csrf"), { origin }),
        // A "simple" cross-site form post, as a page elsewhere could make without preflight.
        await browser.fetch("/api/files", {
          method: "POST",
          origin,
          headers: { "Content-Type": "text/plain" },
          body: "x",
        }),
        await uploadSealedParts(browser, sealed, { origin }),
        await browser.fetch("/auth/logout", { method: "POST", origin }),
      ];
      for (const answer of answers) {
        expect(await errorOf(answer), String(origin)).toMatchObject({ status: 403, code: "CSRF_ORIGIN" });
        expectSecurityHeaders(answer);
        expect(answer.headers.get("Access-Control-Allow-Origin")).toBeNull();
      }
    }
    // Logging out by GET is no route at all.
    expect((await browser.fetch("/auth/logout")).status).toBe(404);
    expect(await isSignedIn(browser)).toBe(true);
    expect(await storedTokens(userId)).not.toBeNull();
    expect(await emulator.files(postboxId)).toEqual([]);
    const stats = await emulator.stats();
    expect(stats.requests.postbox + stats.requests.token).toBe(0);
  });

  it("CORS: a preflight or request from an origin not allowed gets no Access-Control-Allow-Origin, on every route", async () => {
    const browser = await signedInBrowser();
    const routes = [
      "/api/files",
      "/api/sealed-files",
      "/api/session",
      "/auth/logout",
      "/auth/start",
      "/auth/callback",
      "/auth/error",
      "/healthz",
      "/nope",
    ];
    for (const path of routes) {
      for (const origin of foreign.filter((o): o is string => o !== null)) {
        const refused = await preflight(browser, path, origin, "POST", "content-type,x-digime-iv");
        expect(refused.headers.get("Access-Control-Allow-Origin"), `${path} ${origin}`).toBeNull();
        expect(refused.status).toBeLessThan(500);
        const read = await browser.fetch(path, { origin });
        expect(read.headers.get("Access-Control-Allow-Origin"), `${path} ${origin}`).toBeNull();
      }
      // The allowed origin, for contrast, with credentials.
      const allowed = await preflight(browser, path, APP_ORIGIN, "POST");
      expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe(APP_ORIGIN);
      expect(allowed.headers.get("Access-Control-Allow-Credentials")).toBe("true");
    }
  });
});

describe("open redirects through returnTo", () => {
  const attempts = [
    "//evil.test",
    "///evil.test",
    "/\\evil.test",
    "\\\\evil.test",
    "/\t/evil.test",
    " //evil.test",
    "https:evil.test",
    "https:/evil.test",
    "http:evil.test",
    "https:\\\\evil.test",
    "https://evil.test",
    "https://app.test@evil.test/",
    "https://app.test:x@evil.test/",
    "https://evil.test#@app.test",
    "https://evil.test?@app.test",
    "https://evil.test\\@app.test",
    "https://app.test.evil.test/",
    "http://app.test/",
    "https://app.test:8443/",
    "//app.test/",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "%2F%2Fevil.test",
    "/%2F%2Fevil.test",
    "/%5Cevil.test",
    "%5C%5Cevil.test",
    "/..//evil.test",
    "/.%2E//evil.test",
    "https://evil.test%2F@app.test",
    "https://%65vil.test",
    "\u3002evil.test",
    "/\u3002/evil.test",
    "https://evil.test\u0000.app.test",
  ];

  it.each(attempts)("returnTo=%j goes nowhere but this Worker or the app", async (returnTo) => {
    // Sent percent-encoded (as a client would), and raw in the query (as an attacker may).
    for (const query of [encodeURIComponent(returnTo), returnTo.replace(/[#&\s]/g, encodeURIComponent)]) {
      const browser = new Browser();
      const start = await browser.fetch(`/auth/start?returnTo=${query}`);
      expectSecurityHeaders(start);
      if (start.status === 400) {
        expect(await errorOf(start)).toMatchObject({ code: "BAD_RETURN_TO" });
        expect(start.headers.get("Location")).toBeNull();
        continue;
      }
      // Accepted: it must be a place on this Worker or the app, once the sign-in has gone through.
      expect(start.status).toBe(302);
      const consent = await fetch(start.headers.get("Location") as string, { redirect: "manual" });
      const done = await browser.fetch(consent.headers.get("Location") as string);
      expect(done.status).toBe(302);
      const target = new URL(done.headers.get("Location") as string);
      expect([ORIGIN, APP_ORIGIN], `${returnTo} -> ${target.href}`).toContain(target.origin);
      expect(done.headers.get("Location")).toMatch(/^https:\/\/(edge|app)\.test\//);
    }
  });
});

describe("bodies", () => {
  const FILE_HEAD =
    'Content-Disposition: form-data; name="file"; filename="f.bin"\r\nContent-Type: application/octet-stream';

  /** A multipart body with one file part, as bytes. */
  function formBytes(file: Uint8Array, boundary = "lie"): Uint8Array<ArrayBuffer> {
    const head = enc.encode(`--${boundary}\r\n${FILE_HEAD}\r\n\r\n`);
    const tail = enc.encode(`\r\n--${boundary}--\r\n`);
    const out = new Uint8Array(head.length + file.length + tail.length);
    out.set(head);
    out.set(file, head.length);
    out.set(tail, head.length + file.length);
    return out;
  }

  it("a Content-Length that lies (body longer or shorter) is refused before anything is delivered", async () => {
    const browser = await signedInBrowser();
    const postboxId = await postboxOf(browser.userId as string);
    const sealed = await sealFor(browser, bytesOf(1000));
    await emulator.resetStats();

    // Plain: a small declared length (the body would be read whole) with 3 MiB behind it.
    const long = formBytes(bytesOf(3 * 1024 * 1024));
    const plain = await postFiles(browser, {
      headers: { "Content-Type": "multipart/form-data; boundary=lie", "Content-Length": "1000" },
      body: streamOf(long),
      // @ts-expect-error duplex is needed for a stream body and missing from the types
      duplex: "half",
    });
    expect(await errorOf(plain)).toMatchObject({ status: 400, code: "BAD_MULTIPART" });

    // Sealed: its declared length goes on to digi.me as the file's size, so it must be exact.
    const cases: [string, Uint8Array][] = [
      ["16", bytesOf(3 * 1024 * 1024)],
      ["16", bytesOf(64)],
      ["4096", bytesOf(32)],
      [String(2 * 1024 * 1024), bytesOf(1024 * 1024 + 32)],
    ];
    for (const [declared, body] of cases) {
      const answer = await uploadSealedParts(
        browser,
        { ...sealed, body: streamOf(body) },
        { overrides: { "Content-Length": declared } },
      );
      const error = await errorOf(answer);
      expect(error, `${declared} declared, ${body.length} sent`).toMatchObject({
        status: 400,
        code: "BAD_SEALED_BODY",
      });
      expect(error.message).toMatch(/Content-Length/);
    }
    expect(await emulator.files(postboxId)).toEqual([]);
    expect((await emulator.stats()).writes).toBe(0);
  });

  it("oversize headers are refused with a 4xx, not a crash", async () => {
    const browser = await signedInBrowser();
    const sealed = await sealFor(browser, bytesOf(100));
    const huge = "A".repeat(64 * 1024);
    const cases: [Record<string, string>, string][] = [
      [{ "X-Digime-Metadata": huge }, "BAD_METADATA"],
      [{ "X-Digime-Symmetrical-Key": huge }, "BAD_SYMMETRICAL_KEY"],
      [{ "X-Digime-File-Name": "%41".repeat(20_000) }, "BAD_FILE_NAME"],
      [{ "X-Digime-Iv": huge }, "BAD_IV"],
    ];
    for (const [overrides, code] of cases) {
      expect(await errorOf(await uploadSealedParts(browser, sealed, { overrides }))).toMatchObject({
        status: 400,
        code,
      });
    }
    const bigCookie = new Browser();
    bigCookie.cookies.set(SESSION_COOKIE, "x".repeat(60 * 1024));
    expect(await errorOf(await upload(bigCookie, uploadForm("x")))).toMatchObject({
      status: 401,
      code: "UNAUTHENTICATED",
    });
    const boundary = "b".repeat(71);
    expect(
      await errorOf(
        await postFiles(browser, {
          headers: { "Content-Type": `multipart/form-data; boundary=${boundary}` },
          body: "x",
        }),
      ),
    ).toMatchObject({ status: 400, code: "BAD_MULTIPART" });
  });

  /** What a {@link dripped} body handed over: its pieces (each after a pause) and its bytes. */
  interface Drip {
    pieces: number;
    bytes: number;
  }

  /**
   * `bytes` handed over in `pieces` pieces, one every `everyMs`, then (optionally) a stall; `drip`
   * counts what was handed over.
   */
  function dripped(
    bytes: Uint8Array,
    pieces: number,
    everyMs: number,
    stallAfter?: number,
    drip: Drip = { pieces: 0, bytes: 0 },
  ) {
    const size = Math.ceil(bytes.length / pieces);
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (stallAfter !== undefined && drip.bytes >= stallAfter) return new Promise<void>(() => {});
        if (drip.bytes >= bytes.length) return controller.close();
        await new Promise((r) => setTimeout(r, everyMs));
        controller.enqueue(bytes.slice(drip.bytes, drip.bytes + size));
        drip.bytes = Math.min(bytes.length, drip.bytes + size);
        drip.pieces++;
      },
    });
  }

  it("a slow-drip body that keeps coming is read to the end and delivered", async () => {
    const browser = await signedInBrowser();
    const postboxId = await postboxOf(browser.userId as string);
    const file = bytesOf(4000, 5);
    const form = formBytes(file);
    const drip: Drip = { pieces: 0, bytes: 0 };
    const answer = await postFiles(browser, {
      headers: { "Content-Type": "multipart/form-data; boundary=lie" },
      body: dripped(form, 16, 100, undefined, drip),
      // @ts-expect-error duplex is needed for a stream body and missing from the types
      duplex: "half",
    });
    expect(answer.status, await answer.clone().text()).toBe(200);
    // The whole body came slowly: 16 pieces, each after a 100 ms pause (how fast is for the bench).
    expect(drip).toEqual({ pieces: 16, bytes: form.length });
    const [stored] = await emulator.files(postboxId);
    expect(stored?.sha256).toBe(await sha256(file));
  });

  it("a stalled or trickled body ends in 408 BODY_TIMEOUT within the bound, and nothing is delivered", async () => {
    const browser = await signedInBrowser();
    const postboxId = await postboxOf(browser.userId as string);
    const sealed = await sealFor(browser, bytesOf(2 * 1024 * 1024, 6));
    const body = sealed.body as Uint8Array<ArrayBuffer>;
    const env = { BODY_TIMEOUT_SECONDS: "1" };
    await emulator.resetStats();
    // Each case: how it is sent, its body's size, and what the Worker must have read of it before
    // ending it (a stalled body: up to its stall; a trickled one: some).
    const cases: { send: (drip: Drip) => Promise<Response>; total: number; readAtLeast: number }[] = [
      // Plain: the form stalls after its first bytes (before digi.me is asked).
      {
        send: (drip) =>
          postFiles(browser, {
            headers: { "Content-Type": "multipart/form-data; boundary=lie" },
            body: dripped(formBytes(bytesOf(1000)), 10, 10, 300, drip),
            // @ts-expect-error duplex is needed for a stream body and missing from the types
            duplex: "half",
            env,
          }),
        total: formBytes(bytesOf(1000)).length,
        readAtLeast: 300,
      },
      // Plain: a form trickled in a few bytes at a time, forever.
      {
        send: (drip) =>
          postFiles(browser, {
            headers: { "Content-Type": "multipart/form-data; boundary=lie" },
            body: dripped(formBytes(bytesOf(100_000)), 50_000, 20, undefined, drip),
            // @ts-expect-error duplex is needed for a stream body and missing from the types
            duplex: "half",
            env,
          }),
        total: formBytes(bytesOf(100_000)).length,
        readAtLeast: 1,
      },
      // Sealed, declared 2 MiB: streamed on to digi.me, then stalls half-way.
      {
        send: (drip) =>
          uploadSealedParts(
            browser,
            { ...sealed, body: dripped(body, 64, 1, body.length / 2, drip) },
            { overrides: { "Content-Length": String(body.length) }, env },
          ),
        total: body.length,
        readAtLeast: body.length / 2,
      },
      // Sealed, unsized: trickled during the read-ahead.
      {
        send: (drip) =>
          uploadSealedParts(
            browser,
            { ...sealed, body: dripped(body, body.length / 16, 20, undefined, drip) },
            { env },
          ),
        total: body.length,
        readAtLeast: 1,
      },
    ];
    // The limit's timing to the millisecond is test/unit/body-chunks.test.ts's, on a fake clock;
    // here: the Worker applies BODY_TIMEOUT_SECONDS, and ends the body where it stopped coming.
    for (const { send, total, readAtLeast } of cases) {
      const drip: Drip = { pieces: 0, bytes: 0 };
      const error = await errorOf(await send(drip));
      expect(error).toMatchObject({ status: 408, code: "BODY_TIMEOUT" });
      expect(error.message).toContain("each 256 KiB must arrive within 1 s");
      expect(drip.bytes).toBeLessThan(total);
      expect(drip.bytes).toBeGreaterThanOrEqual(readAtLeast);
    }
    expect(await emulator.files(postboxId)).toEqual([]);
    const stats = await emulator.stats();
    expect(stats.writes).toBe(0);
    // The streamed ones had begun their digi.me request, and aborted it.
    expect(stats.requests.postbox).toBeGreaterThanOrEqual(1);
  });

  it("a body with a Content-Length that stalls after its first MiB ends in 408 BODY_TIMEOUT after BODY_TIMEOUT_SECONDS, not at its whole-body deadline, plain and sealed, nothing stored", async () => {
    const browser = await signedInBrowser();
    const postboxId = await postboxOf(browser.userId as string);
    const file = bytesOf(2 * 1024 * 1024, 11);
    const sealed = await sealFor(browser, file);
    const body = sealed.body as Uint8Array<ArrayBuffer>;
    const form = formBytes(file);
    // The whole-body deadline of 2 MiB here is the rate's (2 MiB at 512 KiB/s: 4 s, before 8 x 1 s
    // for the chunks), and would end a stalled body as UPLOAD_TOO_SLOW; stalled after its first
    // MiB, the body is BODY_TIMEOUT a second after its last 256 KiB (by 2.5 s, the rate would say so).
    const env = {
      BODY_TIMEOUT_SECONDS: "1",
      UPLOAD_GRACE_SECONDS: "1",
      MIN_UPLOAD_BYTES_PER_SECOND: String(512 * 1024),
    };
    await emulator.resetStats();
    const cases: [string, (drip: Drip) => Promise<Response>, number][] = [
      [
        "plain",
        (drip) =>
          postFiles(browser, {
            headers: {
              "Content-Type": "multipart/form-data; boundary=lie",
              "Content-Length": String(form.length),
            },
            body: dripped(form, 64, 1, 1024 * 1024, drip),
            // @ts-expect-error duplex is needed for a stream body and missing from the types
            duplex: "half",
            env,
          }),
        form.length,
      ],
      [
        "sealed",
        (drip) =>
          uploadSealedParts(
            browser,
            { ...sealed, body: dripped(body, 64, 1, 1024 * 1024, drip) },
            { overrides: { "Content-Length": String(body.length) }, env },
          ),
        body.length,
      ],
    ];
    for (const [what, send, total] of cases) {
      const drip: Drip = { pieces: 0, bytes: 0 };
      const error = await errorOf(await send(drip));
      expect(error, what).toMatchObject({ status: 408, code: "BODY_TIMEOUT" });
      expect(drip.bytes, what).toBeGreaterThanOrEqual(1024 * 1024);
      expect(drip.bytes, what).toBeLessThan(total);
    }
    expect(await emulator.files(postboxId)).toEqual([]);
    expect((await emulator.stats()).writes).toBe(0);
  });

  it("a flood of slow-drip uploads: four run at once and are ended as too slow, the rest are refused before digi.me is asked, nothing is stored", async () => {
    const { browser, postboxId } = await signedInUser();
    const sealed = await sealFor(browser, bytesOf(2 * 1024 * 1024, 8));
    const body = sealed.body as Uint8Array<ArrayBuffer>;
    // MAX_CONCURRENT_UPLOADS at its default (4). Each upload drips 16 KiB every 50 ms: each 256 KiB
    // comes well within BODY_TIMEOUT_SECONDS, but the average stays below the 1 MiB/s asked for
    // after the first second.
    const env = {
      MAX_CONCURRENT_UPLOADS: undefined,
      UPLOAD_GRACE_SECONDS: "1",
      MIN_UPLOAD_BYTES_PER_SECOND: String(1024 * 1024),
    };
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        uploadSealedParts(
          browser,
          { ...sealed, body: dripped(body, body.length / (16 * 1024), 50) },
          { overrides: { "Content-Length": String(body.length) }, env },
        ),
      ),
    );
    const codes = (await Promise.all(answers.map(errorOf))).map((e) => `${e.status} ${e.code}`).sort();
    expect(codes).toEqual([
      ...Array(4).fill("408 UPLOAD_TOO_SLOW"),
      ...Array(6).fill("429 TOO_MANY_UPLOADS"),
    ]);
    const stats = await emulator.stats();
    // Only the four admitted ones began their digi.me request (and aborted it).
    expect(stats.requests.postbox).toBeLessThanOrEqual(4);
    expect(stats.writes).toBe(0);
    expect(await emulator.files(postboxId)).toEqual([]);
    // Every slot came back: the user uploads normally.
    const honest = await upload(browser, uploadForm(bytesOf(5000, 9), undefined, "honest.bin"), { env });
    expect(honest.status).toBe(200);
    expect((await emulator.files(postboxId)).map((f) => f.fileName)).toEqual(["honest.bin"]);
  });

  it(`a form of many tiny parts after the file is refused (more than ${MAX_FORM_PARTS}), and nothing is stored`, async () => {
    const browser = await signedInBrowser();
    const postboxId = await postboxOf(browser.userId as string);
    const tail = Array.from(
      { length: 5000 },
      (_, i) => `--lie\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\n${i}\r\n`,
    ).join("");
    const file = formBytes(bytesOf(3000, 10));
    const bodyBytes = new Uint8Array([
      ...file.subarray(0, file.length - 9),
      ...enc.encode(`\r\n${tail}--lie--\r\n`),
    ]);
    const answer = await postFiles(browser, {
      headers: { "Content-Type": "multipart/form-data; boundary=lie" },
      body: bodyBytes,
    });
    expect(await errorOf(answer)).toMatchObject({ status: 400, code: "BAD_MULTIPART" });
    expect(await emulator.files(postboxId)).toEqual([]);
  });
});

describe("file names with path tricks are stored sanitised", () => {
  const plain: [string, string][] = [
    ["../../etc/passwd", "passwd"],
    ["..\\..\\windows\\system32\\cmd.exe", "cmd.exe"],
    ["C:\\x", "x"],
    ["/etc/", "upload"],
    ["..", "upload"],
    [" . ", "upload"],
    ["a\u0000b.txt", "ab.txt"],
    ["invoice\u202Etxt.exe", "invoicetxt.exe"],
    ["\u2066evil\u2069.pdf", "evil.pdf"],
    ["zero\u200bwidth\u200c\u200djoin\ufeff.txt", "zerowidthjoin.txt"],
    ["\u061cline\u2028sep\u2029.txt", "linesep.txt"],
    // A FormData file name carries a line break as %0A (WHATWG's multipart encoding).
    ["line\r\nbreak.txt", "line%0Abreak.txt"],
    ["%2e%2e%2fetc%2fpasswd", "%2e%2e%2fetc%2fpasswd"],
    [`${"x".repeat(300)}.txt`, `${"x".repeat(251)}.txt`],
    ["ünïcödé ✓.txt", "ünïcödé ✓.txt"],
  ];

  it("plain uploads (multipart filename, and filename* with percent-encoding)", async () => {
    const browser = await signedInBrowser();
    const postboxId = await postboxOf(browser.userId as string);
    for (const [i, [name, expected]] of plain.entries()) {
      const answer = await upload(browser, uploadForm(bytesOf(10, 300 + i), undefined, name));
      expect(answer.status, name).toBe(200);
      expect(((await answer.json()) as { fileName: string }).fileName, JSON.stringify(name)).toBe(expected);
    }
    // RFC 5987 filename*: decoded, then cut to its last segment.
    const raw = await postFiles(browser, {
      headers: { "Content-Type": "multipart/form-data; boundary=fn" },
      body: '--fn\r\nContent-Disposition: form-data; name="file"; filename="plain.txt"; filename*=utf-8\'\'..%2F..%2Fetc%2Fshadow\r\n\r\nz\r\n--fn--\r\n',
    });
    expect(await raw.json()).toMatchObject({ status: "delivered", fileName: "shadow" });

    const stored = await emulator.files(postboxId);
    expect(stored.map((f) => f.fileName).sort()).toEqual([...plain.map(([, e]) => e), "shadow"].sort());
    for (const { fileName } of stored) expectSafeName(fileName);
  });

  it("sealed uploads (X-Digime-File-Name, percent-encoded once)", async () => {
    const browser = await signedInBrowser();
    const postboxId = await postboxOf(browser.userId as string);
    const publicKey = await publicKeyOf(browser);
    const cases: [string, string][] = [
      ...plain
        .filter(([name]) => !name.includes("\u0000") && !name.includes("\r"))
        .map(([name, expected]): [string, string] => [encodeURIComponent(name), expected]),
      [encodeURIComponent("line\r\nbreak.txt"), "linebreak.txt"],
      ["%2e%2e%2fetc%2fpasswd", "passwd"],
      ["%252e%252e%252fetc", "%2e%2e%2fetc"],
      ["a%00b", "ab"],
      ["%2F", "upload"],
    ];
    for (const [i, [header, expected]] of cases.entries()) {
      const sealed = await seal({
        publicKey,
        fileData: bytesOf(10, 400 + i),
        fileDescriptor: { mimeType: "text/plain", accounts: [{ accountId: "x" }] },
      });
      const answer = await uploadSealedParts(browser, sealed, {
        overrides: { "X-Digime-File-Name": header },
      });
      expect(answer.status, header).toBe(200);
      expect(((await answer.json()) as { fileName: string }).fileName, header).toBe(expected);
    }
    const stored = await emulator.files(postboxId);
    expect(stored.map((f) => f.fileName).sort()).toEqual(cases.map(([, e]) => e).sort());
    for (const { fileName } of stored) expectSafeName(fileName);
  });

  it("a name that tries to break out of the multipart header reaches digi.me as one harmless name", async () => {
    const browser = await signedInBrowser();
    const postboxId = await postboxOf(browser.userId as string);
    const raw = await postFiles(browser, {
      headers: { "Content-Type": "multipart/form-data; boundary=q" },
      body: '--q\r\nContent-Disposition: form-data; name="file"; filename="x\\"; name=\\"evil.exe"\r\n\r\nz\r\n--q--\r\n',
    });
    expect(raw.status).toBe(200);
    const [stored] = await emulator.files(postboxId);
    // sdk-core quotes the name as browsers do (`"` as %22), so digi.me sees one name, not a new field.
    expect(stored?.fileName).toBe("x%22; name=%22evil.exe");
    expectSafeName(stored?.fileName as string);
  });
});

function expectSafeName(name: string): void {
  expect(name).not.toMatch(/[/\\"]/);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  expect(name).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/);
  expect(name).not.toMatch(/^\.*$/);
  expect(Array.from(name).length).toBeLessThanOrEqual(255);
}
