/**
 * Property-based fuzzing (fast-check, fixed seed) of the Worker with an import contract: random
 * methods on its routes, `Origin`s, session cookies (the real one, another key's, cut, none),
 * `Content-Type`s and lying `Content-Length`s; FHIR bodies of every shape (the user's PUSH and
 * IMPORTED account ids, random ones, resources with and without `resourceType`, any JSON) and
 * multipart or raw bodies.
 *
 * For every answer: no 5xx but digi.me's documented ones, JSON errors, the security headers, a
 * redirect only to this Worker, the app or digi.me's onboarding, and no secret (the private key,
 * the session secret, the user's tokens). `PROOF_SOAK=1` runs twenty times more.
 */
import fc from "fast-check";
import { beforeAll, describe } from "vitest";
import { sign } from "../../src/lib/signing.ts";
import { Browser, signIn } from "../support/browser.ts";
import { bytesOf, streamOf } from "../support/bytes.ts";
import { expectFuzzedAnswer, itFuzzes } from "../support/fuzz-answers.ts";
import { accountReferenceOf, emulatorUserOf, signedInImportUser } from "../support/import-users.ts";
import { APP_ORIGIN, ORIGIN, SESSION_COOKIE } from "../support/test-env.ts";
import { storedTokens } from "../support/vault-access.ts";

const ROUTES = [
  "/api/session",
  "/api/files",
  "/api/sealed-files",
  "/api/fhir/stu3",
  "/api/fhir/3.0.2",
  "/api/fhir/r4",
  "/api/fhir/",
  "/api/accounts",
  "/api/user",
  "/auth/start",
  "/auth/callback",
];

let user: Browser;
let accounts: { push: string; imported: string };
const cookies: Record<string, string> = {};

async function learnUser(): Promise<void> {
  const value = decodeURIComponent(user.cookies.get(SESSION_COOKIE) as string);
  cookies.valid = value;
  cookies.otherKey = await sign(
    "another-session-secret-0123456789abcdef",
    value.slice(0, value.lastIndexOf("~")),
  );
  cookies.cut = value.slice(0, value.length - 3);
}

beforeAll(async () => {
  const signedIn = await signedInImportUser({ push: true });
  user = signedIn.browser;
  const find = (type: string) => signedIn.digimeUser.accounts.find((a) => a.type === type)?.id as string;
  accounts = { push: find("PUSH"), imported: find("IMPORTED") };
  await learnUser();
});

const anyJson = fc.jsonValue({ maxDepth: 3 });
const resourceArb = fc.oneof(
  fc.record({ resourceType: fc.constantFrom("Bundle", "Observation", "Patient"), id: fc.string() }),
  fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 4 }),
  anyJson,
);
const accountIdArb = fc.oneof(
  fc.constant(undefined).map(() => accounts.push),
  fc.constant(undefined).map(() => accounts.imported),
  fc.string({ maxLength: 30 }),
  fc.constantFrom("", " ", "a\r\nX-Injected: 1", "h:accountId", "../user", "%00"),
  anyJson,
);
const fhirBodyArb = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ accountId: accountIdArb, resource: resourceArb }).map((b) => JSON.stringify(b)),
  },
  { weight: 1, arbitrary: anyJson.map((j) => JSON.stringify(j)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
);
const bodyArb = fc.oneof(
  { weight: 4, arbitrary: fhirBodyArb.map((text) => new TextEncoder().encode(text)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 3000 }) },
  { weight: 1, arbitrary: fc.nat({ max: 40 }).map((n) => bytesOf(16 * n, n + 1)) },
);

const requestArb = fc.record({
  method: fc.constantFrom("GET", "POST", "POST", "POST", "DELETE", "PUT", "OPTIONS"),
  path: fc.constantFrom(...ROUTES),
  query: fc.constantFrom("", "?sourceType=push", "?sourceType=x", "?success=false&errorCode=AccessDenied"),
  origin: fc.constantFrom(APP_ORIGIN, APP_ORIGIN, ORIGIN, "https://evil.test", "null", ""),
  cookie: fc.constantFrom("valid", "valid", "valid", "otherKey", "cut", "none"),
  contentType: fc.constantFrom(
    "application/json",
    "application/json",
    "application/json; charset=utf-8",
    "application/fhir+json",
    "application/octet-stream",
    "multipart/form-data; boundary=x",
    "",
  ),
  body: fc.option(bodyArb, { nil: undefined, freq: 5 }),
  length: fc.constantFrom("none", "true", "true", "-1", "+7", "huge"),
  streamed: fc.boolean(),
});

type Plan = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;
const seen = new Map<string, number>();

async function check(plan: Plan): Promise<void> {
  const headers = new Headers();
  if (plan.contentType) headers.set("Content-Type", plan.contentType);
  if (plan.cookie !== "none")
    headers.set("Cookie", `${SESSION_COOKIE}=${encodeURIComponent(cookies[plan.cookie] as string)}`);
  const bytes = plan.body && !["GET", "OPTIONS"].includes(plan.method) ? plan.body : undefined;
  if (bytes && plan.length !== "none") {
    const length = {
      true: bytes.length,
      "-1": Math.max(0, bytes.length - 1),
      "+7": bytes.length + 7,
      huge: 99_999_999,
    };
    headers.set("Content-Length", String(length[plan.length as keyof typeof length]));
  }
  const where = `${plan.method} ${plan.path}${plan.query}`;
  const answer = await new Browser().fetch(`${plan.path}${plan.query}`, {
    method: plan.method,
    headers,
    origin: plan.origin || null,
    ...(bytes ? { body: plan.streamed ? streamOf(bytes) : bytes, duplex: "half" } : {}),
  } as never);
  const tokens = await storedTokens(user.userId as string);
  const { status } = await expectFuzzedAnswer(
    answer,
    { method: plan.method, where },
    seen,
    tokens ? [tokens.access_token, tokens.refresh_token] : [],
  );
  // A fuzzed deletion with the real cookie deleted the user: sign in again for the next runs.
  if (plan.method === "DELETE" && plan.path === "/api/user" && status === 200) {
    await signIn(user, undefined, { sourceType: "push" });
    const signedIn = await emulatorUserOf((await accountReferenceOf(user.userId as string)) as string);
    const find = (type: string) => signedIn.accounts.find((a) => a.type === type)?.id as string;
    accounts = { push: find("PUSH"), imported: find("IMPORTED") };
    await learnUser();
  }
}

/** FHIR pushes with the real session and Origin: every shape of body. */
const pushArb = fc.tuple(requestArb, fhirBodyArb, fc.constantFrom("stu3", "3.0.2")).map(
  ([plan, text, version]): Plan => ({
    ...plan,
    method: "POST",
    path: `/api/fhir/${version}`,
    query: "",
    origin: APP_ORIGIN,
    cookie: "valid",
    contentType: plan.contentType === "application/fhir+json" ? plan.contentType : "application/json",
    body: new TextEncoder().encode(text),
    length: plan.length === "huge" ? "true" : plan.length,
  }),
);

describe("fuzzing the import API's routes", () => {
  itFuzzes(
    "random requests: no undocumented 5xx, JSON errors, security headers, no secret",
    requestArb,
    check,
    { seed: 0x1a2b, numRuns: 600 },
    seen,
    ["200 ", "401 UNAUTHENTICATED", "403 CSRF_ORIGIN", "400 BAD_FHIR_VERSION", "409 SEALING_UNAVAILABLE"],
  );

  itFuzzes(
    "FHIR pushes with the real session and Origin: every shape of body, deep into the route",
    pushArb,
    check,
    { seed: 0xf41a, numRuns: 300 },
    seen,
    [
      "200 delivered",
      "400 BAD_FHIR_BODY",
      "400 BAD_ACCOUNT_ID",
      "400 BAD_CONTENT_TYPE",
      "400 ACCOUNT_NOT_FOUND",
      "403 NOT_A_PUSH_ACCOUNT",
    ],
  );
});
