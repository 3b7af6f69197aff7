/**
 * Property-based fuzzing (fast-check, fixed seeds) of every Worker route: random methods, paths and
 * query strings; `Origin`, `Content-Type` and lying `Content-Length` headers; session and state
 * cookies that are random, garbled, truncated, bit-flipped, signed with another key, expired or
 * another user's; multipart bodies with random boundaries, missing, duplicate and misordered parts,
 * huge part headers, garbage descriptors and unicode file names; sealed-upload envelopes of the
 * right shape with wrong contents, and of the wrong shape.
 *
 * For every answer:
 * - no 5xx, except the documented digi.me ones (`DIGIME_*`, `TOKEN_REFRESHED_RETRY`: a sealed
 *   envelope of the right shape but wrong contents is refused by digi.me, 502 `DIGIME_REJECTED`);
 *   the configuration is valid here, so `CONFIG_INVALID` and `INTERNAL` never;
 * - every answer of 400 or more is JSON `{ error: { code, message } }`;
 * - a redirect goes to this Worker, the app, or digi.me's onboarding;
 * - the security headers are on every answer;
 * - no answer carries a secret: the private key (whole, its body, any line of it), the session
 *   secret, or the user's tokens (and `support/secret-scan.ts` scans every answer again when the
 *   file ends).
 *
 * The number of runs is bounded (about 20 s on 2 cores); `PROOF_SOAK=1` runs twenty times more.
 */
import { env } from "cloudflare:workers";
import { seal } from "@digime-edge/sdk-core";
import { concatBytes } from "@digime-edge/sdk-core/internal";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { sealCookie } from "../../src/lib/sealed-cookie.ts";
import { PENDING_PURPOSE } from "../../src/lib/session.ts";
import { sign } from "../../src/lib/signing.ts";
import { expectSecurityHeaders } from "../support/answers.ts";
import { Browser, signedInBrowser, signIn } from "../support/browser.ts";
import { bytesOf, streamOf } from "../support/bytes.ts";
import { emulator } from "../support/emulator-admin.ts";
import { expectFuzzedAnswer, FUZZ_SCALE, itFuzzes } from "../support/fuzz-answers.ts";
import { publicKeyOf, type SealedParts } from "../support/sealed-uploads.ts";
import { APP_ORIGIN, ORIGIN, PENDING_COOKIE, SESSION_COOKIE } from "../support/test-env.ts";
import { storedTokens } from "../support/vault-access.ts";

const testEnv = env as unknown as Env;
const enc = new TextEncoder();

const ROUTES = [
  "/healthz",
  "/auth/start",
  "/auth/callback",
  "/auth/error",
  "/auth/logout",
  "/api/session",
  "/api/files",
  "/api/sealed-files",
  "/api/fhir/stu3",
  "/api/fhir/3.0.2",
  "/api/accounts",
  "/api/user",
];

// --- Fixtures made once --------------------------------------------------------------------------

let user: Browser;
let cookieValues: Record<string, string>;
let sealed: SealedParts & { body: Uint8Array<ArrayBuffer> };
let secretsOfUser: () => Promise<string[]>;

beforeAll(async () => {
  user = await signedInBrowser();
  const other = await signedInBrowser();
  const userId = user.userId as string;
  const value = decodeURIComponent(user.cookies.get(SESSION_COOKIE) as string);
  const payload = value.slice(0, value.lastIndexOf("~"));
  const now = Math.floor(Date.now() / 1000);
  cookieValues = {
    valid: value,
    other: decodeURIComponent(other.cookies.get(SESSION_COOKIE) as string),
    otherKey: await sign("another-session-secret-0123456789abcdef", payload),
    expired: await sign(testEnv.SESSION_SECRET, `s1.${userId}.${now - 5}`),
    swapped: `s1.${other.userId}.${payload.split(".")[2]}${value.slice(value.lastIndexOf("~"))}`,
    authForeign: await sign("another-session-secret-0123456789abcdef", `a1.${userId}.nonce`),
    pendingForeign: await sealCookie(
      "another-session-secret-0123456789abcdef",
      PENDING_PURPOSE,
      JSON.stringify(["state", "verifier", "https://edge.test/", Date.now(), userId]),
    ),
  };
  const made = await seal({
    publicKey: await publicKeyOf(user),
    fileData: bytesOf(100, 1),
    fileDescriptor: { mimeType: "text/plain", accounts: [{ accountId: userId }] },
  });
  sealed = { ...made, body: made.body as Uint8Array<ArrayBuffer> };
  secretsOfUser = async () => {
    const tokens = await storedTokens(userId);
    return tokens ? [tokens.access_token, tokens.refresh_token] : [];
  };
});

// --- Arbitraries ---------------------------------------------------------------------------------

/** Printable ASCII: what a header value can carry (`fetch` refuses others in a browser). */
const headerText = (maxLength = 40) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });

/** Any unicode text, control and bidirectional characters included. */
const anyText = (maxLength = 40) =>
  fc.oneof(
    fc.string({ unit: "binary", maxLength }),
    fc.string({ unit: "grapheme", maxLength }),
    fc.constantFrom(
      "../../etc/passwd",
      "..\\..\\x",
      "C:\\x",
      "a\u0000b",
      "x\u202Egpj.exe",
      "%2e%2e%2f",
      "",
      ".",
      "..",
      "\r\n",
      '"; name="x',
      "ünïcödé ✓",
    ),
  );

const pathArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ROUTES) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...ROUTES),
        fc.constantFrom("/", "//", "/x", "%2F", "/..", "/%2e%2e", ".json", "?"),
      )
      .map(([route, tail]) => `${route}${tail}`),
  },
  { weight: 1, arbitrary: fc.constantFrom(...ROUTES).map((r) => r.toUpperCase()) },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.oneof(anyText(12).map(encodeURIComponent), fc.constantFrom("api", "auth", "..", ".", "")), {
        maxLength: 5,
      })
      .map((segments) => `/${segments.join("/")}`),
  },
);

const queryArb = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom("returnTo", "state", "code", "success", "errorCode", "postboxId", "publicKey"),
        anyText(8),
      ),
      fc.oneof(
        anyText(60),
        fc.constantFrom(
          "true",
          "false",
          "//evil.test",
          "/\\evil.test",
          "https://evil.test",
          "javascript:x",
          "/ok",
        ),
        fc.string({ maxLength: 5000 }),
      ),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => {
    const query = new URLSearchParams(pairs).toString();
    return query ? `?${query}` : "";
  });

const originArb = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    APP_ORIGIN,
    ORIGIN,
    "null",
    "https://evil.test",
    "https://app.test.evil.test",
    "http://app.test",
  ),
  headerText(30),
);

/** A cookie header: the user's session cookie, garbled in one of many ways, or none. */
const cookieArb = fc.oneof(
  fc.constant(undefined),
  fc
    .constantFrom("valid", "other", "otherKey", "expired", "swapped")
    .map((key) => (): string => `${SESSION_COOKIE}=${encodeURIComponent(cookieValues[key] as string)}`),
  fc.nat().map((n) => (): string => {
    const value = cookieValues.valid as string;
    return `${SESSION_COOKIE}=${encodeURIComponent(value.slice(0, n % value.length))}`;
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 6 })).map(([n, bit]) => (): string => {
    const value = cookieValues.valid as string;
    const at = n % value.length;
    const c = String.fromCharCode(value.charCodeAt(at) ^ (1 << bit));
    return `${SESSION_COOKIE}=${encodeURIComponent(`${value.slice(0, at)}${c}${value.slice(at + 1)}`)}`;
  }),
  headerText(120).map((text) => (): string => `${SESSION_COOKIE}=${text}`),
  headerText(200).map((text) => (): string => text),
  fc.constant(
    (): string =>
      `${SESSION_COOKIE}=x; ${SESSION_COOKIE}=${encodeURIComponent(cookieValues.valid as string)}`,
  ),
  fc.constant((): string => `${PENDING_COOKIE}=${encodeURIComponent(cookieValues.authForeign as string)}`),
  fc.constant((): string => `${SESSION_COOKIE}=${"%".repeat(50)}; ${PENDING_COOKIE}=%E0%A4%A`),
  fc.constant((): string => `${SESSION_COOKIE}="${encodeURIComponent(cookieValues.valid as string)}"`),
  // The valid session under the plain name (http only) is no session on https.
  fc.constant((): string => `digime_session=${encodeURIComponent(cookieValues.valid as string)}`),
  fc.constant((): string => `${PENDING_COOKIE}=${encodeURIComponent(cookieValues.pendingForeign as string)}`),
  headerText(120).map((text) => (): string => `${PENDING_COOKIE}=${text}`),
);

const descriptorArb = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc
    .record(
      {
        mimeType: fc.oneof(fc.constant("text/plain"), anyText(30)),
        accounts: fc.array(fc.record({ accountId: anyText(20) }), { maxLength: 20 }),
        tags: fc.array(anyText(20), { maxLength: 70 }),
        reference: fc.oneof(fc.array(anyText(10), { maxLength: 3 }), fc.string()),
        extra: fc.anything(),
      },
      { requiredKeys: [] },
    )
    .map((d) => JSON.stringify(d)),
  anyText(100),
);

/** The bytes of a multipart body, and the boundary it uses. */
const multipartArb = fc
  .record({
    boundary: fc.oneof(
      { weight: 9, arbitrary: fc.stringMatching(/^[0-9A-Za-z'()+_,\-./:=?]{1,70}$/) },
      { weight: 1, arbitrary: fc.constantFrom("", " ", '"q"', "b".repeat(71), "a;b", "x\ty") },
    ),
    parts: fc.array(
      fc.record({
        name: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom("file", "fileDescriptor", "other") },
          { weight: 1, arbitrary: anyText(10) },
        ),
        filename: fc.option(anyText(60), { nil: undefined }),
        filenameStar: fc.option(
          anyText(20).map((t) => `utf-8''${encodeURIComponent(t)}`),
          { nil: undefined },
        ),
        contentType: fc.option(fc.oneof(fc.constantFrom("text/plain", "application/json"), headerText(30)), {
          nil: undefined,
        }),
        hugeHeader: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
        body: fc.oneof(descriptorArb, fc.uint8Array({ maxLength: 3000 })),
      }),
      { maxLength: 4 },
    ),
    preamble: fc.option(anyText(20), { nil: undefined }),
    close: fc.constantFrom("close", "close", "close", "close", "none", "garbage"),
    crlf: fc.constantFrom("\r\n", "\r\n", "\r\n", "\r\n", "\r\n", "\n"),
  })
  .map(({ boundary, parts, preamble, close, crlf }) => {
    const chunks: Uint8Array[] = [];
    if (preamble !== undefined) chunks.push(enc.encode(`${preamble}${crlf}`));
    for (const part of parts) {
      let disposition = `form-data; name="${part.name}"`;
      if (part.filename !== undefined) disposition += `; filename="${part.filename}"`;
      if (part.filenameStar !== undefined) disposition += `; filename*=${part.filenameStar}`;
      let head = `--${boundary}${crlf}Content-Disposition: ${disposition}${crlf}`;
      if (part.contentType !== undefined) head += `Content-Type: ${part.contentType}${crlf}`;
      if (part.hugeHeader) head += `X-Pad: ${"p".repeat(9000)}${crlf}`;
      chunks.push(enc.encode(`${head}${crlf}`));
      chunks.push(typeof part.body === "string" ? enc.encode(part.body) : part.body);
      chunks.push(enc.encode(crlf));
    }
    if (close === "close") chunks.push(enc.encode(`--${boundary}--${crlf}`));
    if (close === "garbage") chunks.push(enc.encode(`--${boundary}-x`));
    return { boundary, bytes: concatBytes(...chunks) };
  });

const hexArb = fc.stringMatching(/^[0-9a-f]{32}$/);
const base64Of = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((b) => btoa(String.fromCharCode(...b)));

/** Sealed-upload headers: none, the real ones, the right shapes with random contents, or garbage. */
const sealedHeadersArb = fc.oneof(
  fc.constant({}),
  fc.constant(undefined).map(() => ({
    "X-Digime-Iv": sealed.iv,
    "X-Digime-Symmetrical-Key": sealed.symmetricalKey,
    "X-Digime-Metadata": sealed.metadata,
  })),
  fc
    .record({
      iv: fc.oneof(hexArb, headerText(40)),
      key: fc.oneof(base64Of(256, 256), base64Of(100, 300), headerText(40)),
      metadata: fc.oneof(
        fc.integer({ min: 1, max: 8 }).chain((n) => base64Of(16 * n, 16 * n)),
        headerText(60),
      ),
      name: fc.option(fc.oneof(anyText(40).map(encodeURIComponent), headerText(40)), { nil: undefined }),
    })
    .map(({ iv, key, metadata, name }) => ({
      "X-Digime-Iv": iv,
      "X-Digime-Symmetrical-Key": key,
      "X-Digime-Metadata": metadata,
      ...(name === undefined ? {} : { "X-Digime-File-Name": name }),
    })),
);

type BodyPlan = { kind: "none" } | { kind: "bytes"; bytes: Uint8Array<ArrayBuffer>; contentType?: string };

/** A multipart body, mostly with the Content-Type that names its boundary. */
const multipartBodyArb: fc.Arbitrary<BodyPlan> = multipartArb.chain(({ boundary, bytes }) =>
  fc
    .oneof(
      { weight: 6, arbitrary: fc.constant(`multipart/form-data; boundary=${boundary}`) },
      { weight: 2, arbitrary: fc.constant(`multipart/form-data; boundary="${boundary}"`) },
      { weight: 1, arbitrary: fc.constant("multipart/form-data") },
      { weight: 1, arbitrary: headerText(40) },
    )
    .map(
      (contentType): BodyPlan => ({ kind: "bytes", bytes: bytes as Uint8Array<ArrayBuffer>, contentType }),
    ),
);

/** A sealed body: the real one, whole AES blocks of noise, or any bytes. */
const sealedBodyArb: fc.Arbitrary<BodyPlan> = fc
  .oneof(
    fc.constant(undefined).map(() => sealed.body),
    fc.integer({ min: 0, max: 200 }).map((n) => bytesOf(16 * n, n + 1)),
    fc.uint8Array({ maxLength: 2000 }),
  )
  .map(
    (bytes): BodyPlan => ({
      kind: "bytes",
      bytes: bytes as Uint8Array<ArrayBuffer>,
      contentType: "application/octet-stream",
    }),
  );

const bodyArb: fc.Arbitrary<BodyPlan> = fc.oneof(
  fc.constant<BodyPlan>({ kind: "none" }),
  multipartBodyArb,
  sealedBodyArb,
  fc.uint8Array({ maxLength: 2000 }).map((bytes): BodyPlan => ({ kind: "bytes", bytes })),
);

/** What `Content-Length` says: nothing, the truth, a lie, or nonsense. */
const lengthArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant<"none" | "true">("none") },
  { weight: 3, arbitrary: fc.constant<"none" | "true">("true") },
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc.integer({ min: -5, max: 5 }).map((d) => `delta:${d}`),
      // Off by whole AES blocks: a sealed body's declared length still looks right.
      fc.constantFrom(-32, -16, 16, 32, 4096).map((d) => `delta:${d}`),
      fc.constantFrom("0", "1", "abc", "-1", "1e3", "99999999999999999999", String(2 ** 53), " 12"),
      fc.nat({ max: 20_000_000 }).map(String),
    ),
  },
);

const requestArb = fc.record({
  method: fc.constantFrom("GET", "POST", "POST", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"),
  path: pathArb,
  query: queryArb,
  origin: originArb,
  cookie: cookieArb,
  contentType: fc.option(headerText(40), { nil: undefined }),
  sealedHeaders: sealedHeadersArb,
  body: bodyArb,
  length: lengthArb,
  streamed: fc.boolean(),
  extra: fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/), headerText(60)), {
    maxLength: 3,
  }),
});

type Plan = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

// --- The check -----------------------------------------------------------------------------------

/** Requests digi.me (the emulator) has received so far. */
async function digimeCalls(): Promise<number> {
  const { requests } = await emulator.stats();
  return (
    requests.postbox +
    requests.token +
    requests.authorize +
    requests.import +
    requests.fhir +
    requests.accounts +
    requests.user
  );
}

/** Answers seen, by `status code`: the runs must reach deep into the routes, not only bounce off. */
const seen = new Map<string, number>();

/** Sends one planned request through the Worker and checks every invariant on its answer. */
async function check(plan: Plan): Promise<void> {
  const headers = new Headers();
  for (const [name, value] of plan.extra) headers.set(name, value);
  for (const [name, value] of Object.entries(plan.sealedHeaders)) headers.set(name, value);
  if (plan.origin !== undefined && plan.origin !== "") headers.set("Origin", plan.origin);
  if (plan.cookie) headers.set("Cookie", plan.cookie());
  const hasBody = plan.body.kind === "bytes" && plan.method !== "GET" && plan.method !== "HEAD";
  const contentType =
    plan.body.kind === "bytes" ? (plan.body.contentType ?? plan.contentType) : plan.contentType;
  if (contentType !== undefined) headers.set("Content-Type", contentType);
  const bytes = hasBody && plan.body.kind === "bytes" ? plan.body.bytes : undefined;
  if (bytes && plan.length !== "none") {
    const declared =
      plan.length === "true"
        ? String(bytes.length)
        : plan.length.startsWith("delta:")
          ? String(Math.max(0, bytes.length + Number(plan.length.slice(6))))
          : plan.length;
    headers.set("Content-Length", declared);
  }
  const init: RequestInit & { duplex?: "half"; origin?: null } = {
    method: plan.method,
    headers,
    origin: null,
  };
  if (bytes) {
    init.body = plan.streamed ? streamOf(bytes) : bytes;
    init.duplex = "half";
  }

  const where = `${plan.method} ${plan.path}${plan.query}`;
  const calls = plan.method === "POST" || plan.method === "DELETE" ? await digimeCalls() : undefined;
  // Every request must get a response: a hang fails the run (the timer is cleared, as workerd allows
  // 10,000 at a time).
  let timer: ReturnType<typeof setTimeout> | null = null;
  const answer = await Promise.race([
    new Browser().fetch(`${plan.path}${plan.query}`, init),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in 15 s: ${where}`)), 15_000);
    }),
  ]).finally(() => clearTimeout(timer));
  const { status, code } = await expectFuzzedAnswer(
    answer,
    { method: plan.method, where },
    seen,
    await secretsOfUser(),
  );
  // A digi.me failure is only ever returned after digi.me was asked (not for a bad request).
  if (status >= 500 && calls !== undefined)
    expect(await digimeCalls(), `${code} without a digi.me call`).toBeGreaterThan(calls);

  // A fuzzed logout or user deletion with the real cookie signs the user out: sign in again for
  // the next runs, with the new session as the valid cookie.
  const signsOut =
    (plan.method === "POST" && plan.path === "/auth/logout") ||
    (plan.method === "DELETE" && plan.path === "/api/user");
  if (signsOut && status === 200 && (await storedTokens(user.userId as string)) === null) {
    await signIn(user);
    cookieValues.valid = decodeURIComponent(user.cookies.get(SESSION_COOKIE) as string);
  }
}

/** Uploads with the real session and Origin: multipart and sealed bodies. */
const uploadArb = fc
  .tuple(
    requestArb,
    fc.oneof(
      { weight: 3, arbitrary: multipartBodyArb.map((body) => ({ body, path: "/api/files" })) },
      { weight: 2, arbitrary: sealedBodyArb.map((body) => ({ body, path: "/api/sealed-files" })) },
    ),
  )
  .map(
    ([plan, { body, path }]): Plan => ({
      ...plan,
      method: "POST",
      path,
      query: "",
      body,
      origin: APP_ORIGIN,
      cookie: () => `${SESSION_COOKIE}=${encodeURIComponent(cookieValues.valid as string)}`,
    }),
  );

describe("fuzzing every route", () => {
  // The runs reached every kind of answer, not only 404s.
  itFuzzes(
    "random requests: no undocumented 5xx, JSON errors, security headers, no secret",
    requestArb,
    check,
    { seed: 0x5eed, numRuns: 2000 },
    seen,
    [
      "200 ",
      "302 ",
      "400 BAD_STATE",
      "401 UNAUTHENTICATED",
      "403 CSRF_ORIGIN",
      "404 NOT_FOUND",
      "409 IMPORT_API_REQUIRED",
    ],
  );

  // Deep: files delivered, and refusals from each layer (multipart, descriptor, envelope, body,
  // size, Content-Length, digi.me itself).
  itFuzzes(
    "uploads with the real session and Origin: multipart and sealed bodies",
    uploadArb,
    check,
    { seed: 0xf11e, numRuns: 1500 },
    seen,
    [
      "200 delivered",
      "400 BAD_MULTIPART",
      "400 BAD_DESCRIPTOR",
      "400 MISSING_FILE",
      "400 BAD_IV",
      "400 BAD_SEALED_BODY",
      "413 PAYLOAD_TOO_LARGE",
      "502 DIGIME_REJECTED",
    ],
  );

  it(
    "session cookies on every route: never a 5xx, never a session from a bad cookie",
    async () => {
      const cookieOnly = fc.record({ path: fc.constantFrom(...ROUTES), cookie: cookieArb });
      await fc.assert(
        fc.asyncProperty(cookieOnly, async ({ path, cookie }) => {
          const headers = new Headers();
          const value = cookie?.();
          if (value) headers.set("Cookie", value);
          const answer = await new Browser().fetch(path, { headers, origin: null });
          expectSecurityHeaders(answer, path);
          expect(answer.status, `${path} ${value}`).toBeLessThan(500);
          if (path === "/api/session") {
            const { authenticated } = (await answer.json()) as { authenticated: boolean };
            const genuine =
              value === `${SESSION_COOKIE}=${encodeURIComponent(cookieValues.valid as string)}` ||
              value === `${SESSION_COOKIE}=${encodeURIComponent(cookieValues.other as string)}` ||
              value ===
                `${SESSION_COOKIE}=x; ${SESSION_COOKIE}=${encodeURIComponent(cookieValues.valid as string)}` ||
              value === `${SESSION_COOKIE}="${encodeURIComponent(cookieValues.valid as string)}"`;
            if (!genuine) expect(authenticated, value).toBe(false);
          }
        }),
        { seed: 0xc00c, numRuns: 1000 * FUZZ_SCALE, endOnFailure: true },
      );
    },
    60_000 * FUZZ_SCALE,
  );
});
