/**
 * Test support: a cookie-keeping "browser" that calls the Worker through its exports, helpers for
 * the emulator's admin and library API, and the secret scanner that every test file runs over
 * every answer it received and every log line the Worker wrote.
 */
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { type SealedFile, seal } from "@digime-edge/sdk-core";
import type { CookieJar } from "tough-cookie";
import { afterAll, expect, vi } from "vitest";
import { COOKIE_NAMES, vaultFor } from "../src/lib/session.ts";

/** The Worker's origin in tests. */
export const ORIGIN = "https://edge.test";
/** The allowed app origin in tests. */
export const APP_ORIGIN = "https://app.test";
/** The session cookie's name on https (the tests' origin). */
export const SESSION_COOKIE = COOKIE_NAMES.https.session;
/** The pending sign-in cookie's name on https. */
export const PENDING_COOKIE = COOKIE_NAMES.https.pending;

const testEnv = env as unknown as Env & {
  TEST_EMULATOR_URL: string;
  TEST_PROXY_CONTROL_URL: string;
  TEST_SEALER_URL: string;
  PROOF_SOAK: string;
};
/** The emulator's own URL (admin and library API). */
export const EMULATOR = testEnv.TEST_EMULATOR_URL;
/** `PROOF_SOAK=1`: the long versions of the test/proof suite. */
export const SOAK = testEnv.PROOF_SOAK === "1";

// --- Secret scanning ---------------------------------------------------------------------------

const seen: { where: string; text: string }[] = [];
const logs: string[] = [];
const secrets = new Set<string>();
const knownUsers = new Set<string>();

for (const method of ["log", "info", "warn", "error", "debug"] as const) {
  const original = console[method].bind(console);
  vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
    logs.push(
      args
        .map((a) =>
          typeof a === "string"
            ? a
            : a instanceof Error
              ? `${a.name}: ${a.message} ${a.stack}`
              : JSON.stringify(a),
        )
        .join(" "),
    );
    original(...args);
  });
}

/** Registers a value that must never appear in an answer or a log line. */
export function addSecret(value: string | undefined): void {
  if (value && value.length >= 8) secrets.add(value);
}

function privateKeyFragments(pem: string): string[] {
  // The whole PEM, its base64 body on one line, and each full line of it.
  const lines = pem.split("\n").filter((l) => l && !l.startsWith("-----"));
  return [pem, lines.join(""), ...lines.filter((l) => l.length >= 32)];
}

function baseSecrets(): string[] {
  return [...privateKeyFragments(testEnv.DIGIME_PRIVATE_KEY), testEnv.SESSION_SECRET];
}

/** The stored token pair of a user's vault (test access to the Durable Object). */
export async function storedTokens(userId: string) {
  return runInDurableObject(vaultFor(testEnv, userId), (_instance, state) => {
    const row = state.storage.sql
      .exec<{ access_token: string; access_expiry: number; refresh_token: string; refresh_expiry: number }>(
        "SELECT access_token, access_expiry, refresh_token, refresh_expiry FROM tokens WHERE id = 1",
      )
      .toArray()[0];
    return row ?? null;
  });
}

async function learnTokens(): Promise<void> {
  for (const userId of knownUsers) {
    const row = await storedTokens(userId).catch(() => null);
    addSecret(row?.access_token);
    addSecret(row?.refresh_token);
  }
}

/** Finds every registered secret in `text`; empty when clean. */
export function findSecrets(text: string, extra: string[] = []): string[] {
  return [...baseSecrets(), ...secrets, ...extra].filter((s) => text.includes(s));
}

async function record(where: string, response: Response): Promise<void> {
  const headers = [...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
  const body = response.body ? await response.clone().text() : "";
  seen.push({ where, text: `${response.status}\n${headers}\n\n${body}` });
}

/** How many answers, log lines and learnt tokens this file's scan covers (for the scanner's own test). */
export async function scanCounts(): Promise<{ answers: number; logs: number; tokens: number }> {
  await learnTokens();
  return { answers: seen.length, logs: logs.length, tokens: secrets.size };
}

/** Every answer recorded so far, as scanned text. */
export function recordedAnswers(): readonly { where: string; text: string }[] {
  return seen;
}

afterAll(async () => {
  await learnTokens();
  expect(seen.length).toBeGreaterThan(0);
  for (const { where, text } of seen)
    expect(findSecrets(text), `secret in the answer to ${where}`).toEqual([]);
  for (const line of logs) expect(findSecrets(line), "secret in a log line").toEqual([]);
});

// --- The browser -------------------------------------------------------------------------------

/** A client address of the documentation range 2001:db8::/32, fresh for each call. */
export function randomClientAddress(): string {
  const [a = 0, b = 0, c = 0] = crypto.getRandomValues(new Uint16Array(3));
  return `2001:db8::${a.toString(16)}:${b.toString(16)}:${c.toString(16)}`;
}

/** Options of {@link Browser.fetch}. */
export interface CallInit extends RequestInit {
  /** The `Origin` header; default the Worker's own for non-GET requests, none for GET. */
  origin?: string | null;
  /** Bindings to use instead of the test ones (calls the Worker's `fetch` directly). */
  env?: Record<string, unknown>;
}

/**
 * A browser calling the Worker. By default its cookies are a plain map for the Worker's origin
 * (every cookie sent on every request); given a tough-cookie `jar`, it keeps and sends cookies as a
 * browser does (domain, path, `Secure`, `__Host-` rules), cookies of one name on several paths
 * included. Each request comes from a client address of its own (`CF-Connecting-IP`), unless the
 * headers name one.
 */
export class Browser {
  readonly cookies = new Map<string, string>();
  readonly jar: CookieJar | undefined;

  /** @param options - `jar`: keep cookies in this real cookie jar instead of the map. */
  constructor(options: { jar?: CookieJar } = {}) {
    this.jar = options.jar;
  }

  /** Calls the Worker at `path` (or a full `https://edge.test/...` URL), keeping cookies. */
  async fetch(path: string, init: CallInit = {}): Promise<Response> {
    const { origin, env: overrides, ...rest } = init;
    const url = path.startsWith("http") ? path : `${ORIGIN}${path}`;
    const headers = new Headers(rest.headers);
    const method = (rest.method ?? "GET").toUpperCase();
    const sendOrigin =
      origin === undefined ? (method === "GET" || method === "HEAD" ? null : ORIGIN) : origin;
    if (sendOrigin) headers.set("Origin", sendOrigin);
    if (!headers.has("CF-Connecting-IP")) headers.set("CF-Connecting-IP", randomClientAddress());
    const cookieHeader = this.jar
      ? await this.jar.getCookieString(url)
      : [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    if (cookieHeader) headers.set("Cookie", cookieHeader);
    const request = new Request(url, { ...rest, headers, redirect: "manual" });
    const response = overrides
      ? await (await import("../src/index.ts")).default.fetch(
          request,
          { ...testEnv, ...overrides } as Env,
          {
            waitUntil() {},
            passThroughOnException() {},
            props: {},
          } as unknown as ExecutionContext,
        )
      : await exports.default.fetch(request);
    for (const cookie of response.headers.getSetCookie()) {
      if (this.jar) {
        await this.jar.setCookie(cookie, url, { ignoreError: true });
        continue;
      }
      const [pair = ""] = cookie.split(";");
      const at = pair.indexOf("=");
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      if (/max-age=0/i.test(cookie) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    await record(`${method} ${new URL(url).pathname}`, response);
    return response;
  }

  /** The value of cookie `name` as this browser would send it to `url` (default the Worker's `/`). */
  cookie(name: string, url = `${ORIGIN}/`): string | undefined {
    if (!this.jar) return this.cookies.get(name);
    return this.jar.getCookiesSync(url).find((c) => c.key === name)?.value;
  }

  /** The signed-in user's id, read from the session cookie. */
  get userId(): string | undefined {
    const value = this.cookie(SESSION_COOKIE) ?? this.cookie("digime_session");
    return value ? decodeURIComponent(value).split("~")[0]?.split(".")[1] : undefined;
  }

  /** A `fetch` for the typed client: calls the Worker with this browser's cookies. */
  get fetchForClient(): typeof fetch {
    return (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      return this.fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        // @ts-expect-error duplex is needed for a stream body and missing from the types
        duplex: "half",
        origin: request.headers.get("Origin") ?? APP_ORIGIN,
      });
    }) as typeof fetch;
  }
}

/**
 * Signs in through the whole flow: `/auth/start`, the emulator's auto-approved consent, the
 * callback. Answers the final redirect's `Location`.
 */
export async function signIn(
  browser: Browser,
  returnTo?: string,
  query: Record<string, string> = {},
): Promise<string> {
  const search = new URLSearchParams(returnTo === undefined ? query : { returnTo, ...query }).toString();
  const start = await browser.fetch(`/auth/start${search ? `?${search}` : ""}`);
  expect(start.status).toBe(302);
  const consent = await fetch(start.headers.get("Location") as string, { redirect: "manual" });
  expect(consent.status).toBe(302);
  const callback = consent.headers.get("Location") as string;
  expect(callback.startsWith(`${ORIGIN}/auth/callback?`)).toBe(true);
  const done = await browser.fetch(callback);
  expect(done.status, await done.clone().text()).toBe(302);
  if (browser.userId) {
    knownUsers.add(browser.userId);
    await learnTokens();
  }
  return done.headers.get("Location") as string;
}

/** A signed-in browser. */
export async function signedInBrowser(): Promise<Browser> {
  const browser = new Browser();
  await signIn(browser);
  return browser;
}

/**
 * A signed-in browser with its user's id, postbox and stored token pair (`before`), the emulator's
 * counters reset.
 */
export async function signedInUser() {
  const browser = await signedInBrowser();
  const userId = browser.userId as string;
  const postboxId = await postboxOf(userId);
  const before = await storedTokens(userId);
  await emulator.resetStats();
  return { browser, userId, postboxId, before };
}

/** A multipart upload body: `fileDescriptor` (when given) then `file`. */
export function uploadForm(
  bytes: Uint8Array | string,
  descriptor?: unknown,
  fileName = "file.bin",
): FormData {
  const form = new FormData();
  if (descriptor !== undefined) {
    form.append("fileDescriptor", typeof descriptor === "string" ? descriptor : JSON.stringify(descriptor));
  }
  form.append("file", new File([bytes], fileName, { type: "application/octet-stream" }));
  return form;
}

/** Posts to `/api/files` as a browser on the allowed app origin would: `init` gives the body. */
export function postFiles(browser: Browser, init: CallInit = {}): Promise<Response> {
  return browser.fetch("/api/files", { method: "POST", origin: APP_ORIGIN, ...init });
}

/** Posts `form` to `/api/files` as a browser on the allowed app origin would. */
export function upload(browser: Browser, form: FormData, init: CallInit = {}): Promise<Response> {
  return postFiles(browser, { body: form, ...init });
}

/**
 * Posts a FHIR push to `/api/fhir/{version}` as a browser on the allowed app origin would, typed
 * `application/json`: `body` as JSON, or as it is when a string or a stream; `init` over these.
 */
export function postFhir(
  browser: Browser,
  body: unknown,
  version = "stu3",
  init: CallInit = {},
): Promise<Response> {
  const stream = body instanceof ReadableStream;
  return browser.fetch(`/api/fhir/${version}`, {
    method: "POST",
    origin: APP_ORIGIN,
    headers: { "Content-Type": "application/json" },
    body: typeof body === "string" || stream ? body : JSON.stringify(body),
    ...(stream ? { duplex: "half" } : {}),
    ...init,
  });
}

/** Deterministic pseudo-random bytes. */
export function bytesOf(size: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

// --- The emulator ------------------------------------------------------------------------------

async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${EMULATOR}${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok)
    throw new Error(`emulator ${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<T>;
}

/** The emulator's admin API. */
export const emulator = {
  stats: () =>
    admin<{
      refreshes: number;
      writes: number;
      pending: number;
      codeExchanges: number;
      imports: number;
      fhirPushes: number;
      userDeletions: number;
      requests: Record<
        | "authorize"
        | "token"
        | "postbox"
        | "keySet"
        | "consent"
        | "library"
        | "import"
        | "fhir"
        | "accounts"
        | "user",
        number
      >;
      faults: { delayed: number; errors: number; dropped: number };
    }>("GET", "/admin/stats"),
  resetStats: () => admin("DELETE", "/admin/stats"),
  expireTokens: (filter: Record<string, string> = {}) =>
    admin<{ expired: number }>("POST", "/admin/expire-tokens", filter),
  fault: (rule: Record<string, unknown>) => admin("POST", "/admin/faults", rule),
  clearFaults: () => admin("DELETE", "/admin/faults"),
  /** A user's files of one source (`import`, `fhir`, `postbox`), newest first. */
  userFiles: (userId: string, source?: "import" | "fhir" | "postbox") =>
    admin<{
      files: {
        id: string;
        fileName: string;
        size: number;
        sha256: string;
        url: string;
        metadata: unknown;
        source: string;
        accountId: string | null;
        mimeType: string;
      }[];
    }>(
      "GET",
      `/library/api/files?userId=${encodeURIComponent(userId)}${source ? `&source=${source}` : ""}&limit=1000`,
    ).then((r) => r.files),
  /** The emulator's users, with their accounts. */
  users: () =>
    admin<{ users: { id: string; accounts: { id: string; reference: string; type: string }[] }[] }>(
      "GET",
      "/library/api/users",
    ).then((r) => r.users),
  files: (postboxId: string) =>
    admin<{
      files: { id: string; fileName: string; size: number; sha256: string; url: string; metadata: unknown }[];
    }>("GET", `/library/api/files?postboxId=${encodeURIComponent(postboxId)}`).then((r) => r.files),
  async download(url: string): Promise<Uint8Array> {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`download: ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  },
};

/** The postbox id a user's vault holds. */
export async function postboxOf(userId: string): Promise<string> {
  return runInDurableObject(vaultFor(testEnv, userId), (_i, state) => {
    const row = state.storage.sql.exec<{ postbox_id: string }>("SELECT postbox_id FROM tokens").toArray()[0];
    return row?.postbox_id as string;
  });
}

/** Makes the vault's stored access token look expired (as if time had passed). */
export async function expireStoredAccessToken(userId: string): Promise<void> {
  await runInDurableObject(vaultFor(testEnv, userId), (_i, state) => {
    state.storage.sql.exec("UPDATE tokens SET access_expiry = ?", Date.now() - 1000);
  });
}

/** A `USER_VAULT` whose stubs record every call's arguments and answer. */
export function recordingVaults(crossed: { method: string; args: unknown[]; answer: unknown }[]) {
  return {
    idFromName: (name: string) => testEnv.USER_VAULT.idFromName(name),
    get(id: DurableObjectId) {
      const stub = testEnv.USER_VAULT.get(id);
      return new Proxy(stub, {
        get(target, prop) {
          const value = Reflect.get(target, prop);
          if (typeof prop !== "string" || typeof value !== "function") return value;
          // Called on the stub itself: an RPC method's own `apply` would be a remote call.
          const call = target as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
          return async (...args: unknown[]) => {
            const answer = await call[prop]?.(...args);
            crossed.push({ method: prop, args, answer });
            return answer;
          };
        },
      });
    },
  };
}

/** Cuts digi.me off (every connection to it fails) or brings it back. */
export async function digime(mode: "down" | "up"): Promise<void> {
  await fetch(`${testEnv.TEST_PROXY_CONTROL_URL}/${mode}`, { method: "POST" });
}

/**
 * One step the proxy in front of digi.me plays on the next request to `route` (see
 * `test/global-setup.ts`): `expire` expires access tokens at the emulator just before the request
 * goes on; `lose-answer` lets the emulator do the work and answer, then cuts the connection (the
 * write or refresh happened, the Worker never hears of it); `pass` lets one request by.
 */
export interface ProxyStep {
  route: "postbox" | "token" | "import" | "fhir";
  action: "expire" | "lose-answer" | "pass";
  filter?: Record<string, string>;
}

/** The proxy's script: append steps, clear it, or read what is left and what was played. */
export const proxyScript = {
  async add(...steps: ProxyStep[]): Promise<void> {
    await fetch(`${testEnv.TEST_PROXY_CONTROL_URL}/script`, { method: "POST", body: JSON.stringify(steps) });
  },
  async clear(): Promise<void> {
    await fetch(`${testEnv.TEST_PROXY_CONTROL_URL}/script`, { method: "DELETE" });
  },
  async state(): Promise<{ pending: ProxyStep[]; applied: ProxyStep[] }> {
    const response = await fetch(`${testEnv.TEST_PROXY_CONTROL_URL}/script`);
    return response.json() as Promise<{ pending: ProxyStep[]; applied: ProxyStep[] }>;
  },
};

// --- Sealed uploads ----------------------------------------------------------------------------

/** The envelope of a sealed upload and its body, as `seal` answers them. */
export interface SealedParts {
  iv: string;
  symmetricalKey: string;
  metadata: string;
  body: ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer>;
  size?: number;
}

/** The request headers of a sealed upload (any of them can be overridden, or dropped with `null`). */
export function sealedHeaders(
  sealed: Pick<SealedParts, "iv" | "symmetricalKey" | "metadata">,
  overrides: Record<string, string | null> = {},
): Headers {
  const headers = new Headers({
    "Content-Type": "application/octet-stream",
    "X-Digime-Iv": sealed.iv,
    "X-Digime-Symmetrical-Key": sealed.symmetricalKey,
    "X-Digime-Metadata": sealed.metadata,
    "X-Digime-File-Name": "sealed.bin",
  });
  for (const [name, value] of Object.entries(overrides)) {
    if (value === null) headers.delete(name);
    else headers.set(name, value);
  }
  return headers;
}

/**
 * Posts a sealed upload to `/api/sealed-files` as a browser on the allowed app origin would. A
 * `Uint8Array` body is sent with its `Content-Length`; a stream without one (as `fetch` streams).
 */
export function uploadSealedParts(
  browser: Browser,
  sealed: SealedParts,
  init: CallInit & { overrides?: Record<string, string | null> } = {},
): Promise<Response> {
  const { overrides, ...rest } = init;
  return browser.fetch("/api/sealed-files", {
    method: "POST",
    origin: APP_ORIGIN,
    headers: sealedHeaders(sealed, overrides),
    body: sealed.body,
    // @ts-expect-error duplex is needed for a stream body and missing from the types
    duplex: "half",
    ...rest,
  });
}

/** The postbox public key `GET /api/session` gives a signed-in browser. */
export async function publicKeyOf(browser: Browser): Promise<string> {
  const info = (await (await browser.fetch("/api/session")).json()) as { publicKey?: string };
  if (!info.publicKey) throw new Error("the session has no public key");
  return info.publicKey;
}

/**
 * Seals `data` with sdk-core in this runtime to `browser`'s postbox key, as a `text/plain` file of
 * account `x`.
 */
export async function sealFor(browser: Browser, data: Uint8Array<ArrayBuffer>): Promise<SealedFile> {
  return seal({
    publicKey: await publicKeyOf(browser),
    fileData: data,
    fileDescriptor: { mimeType: "text/plain", accounts: [{ accountId: "x" }] },
  });
}

/**
 * Seals `file` with sdk-core in Node (the global setup's sealer): answers the envelope and the
 * sealed body as Node streamed it, with its length.
 */
export async function sealInNode(
  publicKey: string,
  file: Uint8Array<ArrayBuffer>,
  descriptor: unknown,
): Promise<SealedParts & { size: number }> {
  const url = new URL("/seal", testEnv.TEST_SEALER_URL);
  url.searchParams.set("publicKey", publicKey);
  url.searchParams.set("descriptor", JSON.stringify(descriptor));
  const response = await fetch(url, { method: "POST", body: file });
  if (!response.ok) throw new Error(`sealer: ${response.status} ${await response.text()}`);
  const header = (name: string) => response.headers.get(name) as string;
  const body = new Uint8Array(await response.arrayBuffer());
  expect(body.length).toBe(Number(header("Content-Length")));
  return {
    iv: header("X-Digime-Iv"),
    symmetricalKey: header("X-Digime-Symmetrical-Key"),
    metadata: header("X-Digime-Metadata"),
    body,
    size: body.length,
  };
}

/** `bytes` handed over as a stream in 64 KiB chunks, with no length known in advance. */
export function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + 65536));
      at += 65536;
    },
  });
}

/** How many copies of each content (by SHA-256) a postbox's library holds. */
export async function libraryCopies(postboxId: string): Promise<Map<string, number>> {
  const copies = new Map<string, number>();
  for (const file of await emulator.files(postboxId))
    copies.set(file.sha256, (copies.get(file.sha256) ?? 0) + 1);
  return copies;
}

/** An error answer's status, `Retry-After` and JSON error (`code` undefined when it is not one). */
export async function errorOf(response: Response): Promise<{
  status: number;
  retryAfter: string | null;
  code: string | undefined;
  message: string | undefined;
  upstream?: string;
}> {
  const text = await response.clone().text();
  let error: { code?: unknown; message?: unknown; upstream?: unknown } | undefined;
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error;
  } catch {
    error = undefined;
  }
  return {
    status: response.status,
    retryAfter: response.headers.get("Retry-After"),
    code: typeof error?.code === "string" ? error.code : undefined,
    message: typeof error?.message === "string" ? error.message : undefined,
    ...(typeof error?.upstream === "string" ? { upstream: error.upstream } : {}),
  };
}

/** The security headers every answer of the Worker carries (on https). */
export function expectSecurityHeaders(response: Response, where = ""): void {
  const h = response.headers;
  expect(h.get("Content-Security-Policy"), where).toBe(
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  );
  expect(h.get("X-Content-Type-Options"), where).toBe("nosniff");
  expect(h.get("X-Frame-Options"), where).toBe("DENY");
  expect(h.get("Referrer-Policy"), where).toBe("no-referrer");
  expect(h.get("Cross-Origin-Opener-Policy"), where).toBe("same-origin");
  expect(h.get("Cross-Origin-Resource-Policy"), where).toBe("same-origin");
  expect(h.get("Permissions-Policy"), where).toContain("camera=()");
  expect(h.get("Strict-Transport-Security"), where).toContain("max-age=");
  expect(h.get("Cache-Control"), where).toBe("no-store");
  expect(h.get("X-Permitted-Cross-Domain-Policies"), where).toBe("none");
}

/** SHA-256 of `bytes`, lowercase hex. */
export async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// --- The first vault schema --------------------------------------------------------------------

/** The schema of the vaults deployed before versions were kept (commit 1c0ac66), verbatim. */
export const VAULT_SCHEMA_0 = `
  CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    access_token TEXT NOT NULL, access_expiry INTEGER NOT NULL,
    refresh_token TEXT NOT NULL, refresh_expiry INTEGER NOT NULL,
    postbox_id TEXT, public_key TEXT, updated_at INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS pending_auth (
    nonce TEXT PRIMARY KEY, code_verifier TEXT NOT NULL, return_to TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );`;

/**
 * Puts a signed-in user's vault back as the release before versions were kept left it: its
 * schema, its token row (with `postbox` instead of the row's own postbox when given), a pending
 * sign-in of the time. Answers the tables it then has.
 */
export async function putVaultBackToSchema0(
  userId: string,
  postbox?: { postboxId: string; publicKey: string },
): Promise<string[]> {
  return runInDurableObject(vaultFor(testEnv, userId), (_i, s) => {
    const row = s.storage.sql.exec("SELECT * FROM tokens").one();
    const tables = () =>
      s.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .toArray()
        .map((r) => r.name)
        .filter((n) => !n.startsWith("_cf"));
    // Every table of later schemas goes: the first had two.
    for (const table of tables()) s.storage.sql.exec(`DROP TABLE ${table}`);
    s.storage.sql.exec(VAULT_SCHEMA_0);
    s.storage.sql.exec(
      `INSERT INTO tokens (id, access_token, access_expiry, refresh_token, refresh_expiry, postbox_id,
       public_key, updated_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?)`,
      row.access_token,
      row.access_expiry,
      row.refresh_token,
      row.refresh_expiry,
      postbox?.postboxId ?? row.postbox_id,
      postbox?.publicKey ?? row.public_key,
      row.updated_at,
    );
    s.storage.sql.exec("INSERT INTO pending_auth VALUES ('n', 'v', 'https://edge.test/', 0)");
    return tables();
  });
}

/** 5xx codes the README documents for digi.me's own failures (the only 5xx a fuzzed request may get). */
export const DIGIME_5XX: ReadonlySet<string> = new Set([
  "DIGIME_ERROR",
  "DIGIME_REJECTED",
  "DIGIME_BAD_RESPONSE",
  "DIGIME_UNREACHABLE",
  "DIGIME_UNREACHABLE_NOT_SENT",
  "DIGIME_OUTCOME_UNKNOWN",
  "DIGIME_TIMEOUT",
  "DIGIME_UNAVAILABLE",
  "TOKEN_REFRESHED_RETRY",
]);

/**
 * A `fetch` for the typed client that counts the Worker's answers to uploads (`POST /api/files`
 * and `/api/sealed-files`) by status and code.
 */
export function countingFetch(browser: Browser) {
  const answers = new Map<string, number>();
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    const url = new URL(input instanceof Request ? input.url : String(input), ORIGIN);
    const response = await browser.fetchForClient(input, init);
    if (method !== "POST" || !/\/api\/(sealed-)?files$/.test(url.pathname)) return response;
    const code = response.ok
      ? "ok"
      : (((await response.clone().json()) as { error?: { code?: string } }).error?.code ?? "?");
    const key = `${response.status} ${code}`;
    answers.set(key, (answers.get(key) ?? 0) + 1);
    return response;
  }) as typeof globalThis.fetch;
  return { fetch, answers };
}
