/**
 * A cookie-keeping "browser" that calls the Worker through its exports, and sign-ins through it.
 * Loading it loads the secret scanner (`secret-scan.ts`), which checks every answer it receives.
 */
import { exports } from "cloudflare:workers";
import type { CookieJar } from "tough-cookie";
import { expect } from "vitest";
import { emulator } from "./emulator-admin.ts";
import { record, rememberUser } from "./secret-scan.ts";
import { APP_ORIGIN, ORIGIN, SESSION_COOKIE, testEnv } from "./test-env.ts";
import { postboxOf, storedTokens } from "./vault-access.ts";

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
      ? await (await import("../../src/index.ts")).default.fetch(
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
 * The CORS preflight a browser on `origin` sends before a `method` request to `path`, asking for
 * the request headers `headers` (comma-separated) when given.
 */
export function preflight(
  browser: Browser,
  path: string,
  origin: string,
  method: string,
  headers?: string,
): Promise<Response> {
  return browser.fetch(path, {
    method: "OPTIONS",
    origin,
    headers: {
      "Access-Control-Request-Method": method,
      ...(headers === undefined ? {} : { "Access-Control-Request-Headers": headers }),
    },
  });
}

/**
 * Signs in through the whole flow: `/auth/start`, the emulator's auto-approved consent, the
 * callback. Returns the final redirect's `Location`.
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
  if (browser.userId) await rememberUser(browser.userId);
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
