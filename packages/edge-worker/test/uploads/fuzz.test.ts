/**
 * fast-check fuzzing of the tus routes: random methods, `Tus-Resumable`, `Content-Type`,
 * `Upload-Offset`, `Upload-Length`, `Upload-Metadata`, `Origin`, bodies and lengths, at the upload
 * collection, at a fresh upload of the signed-in user, at an unknown id and at another user's
 * upload. Every answer keeps the fuzzing invariants of the other routes (security headers, JSON
 * errors, no 5xx but digi.me's, no secret), and an upload's offset only ever moves forward, only
 * on a 2xx, and never past its length; another user's upload is never touched.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { formatUploadMetadata } from "../../src/lib/tus/metadata.ts";
import { type Browser, signedInBrowser } from "../support/browser.ts";
import { expectFuzzedAnswer, fuzzAndReach } from "../support/fuzz-answers.ts";
import { APP_ORIGIN, SOAK } from "../support/test-env.ts";
import { create, head } from "../support/tus-requests.ts";
import { storedTokens } from "../support/vault-access.ts";

const LENGTH = 2000;
let user: Browser;
let other: Browser;
let foreign: string;
let secrets: () => Promise<string[]>;

beforeAll(async () => {
  user = await signedInBrowser();
  other = await signedInBrowser();
  foreign = (await create(other, LENGTH)).headers.get("Location") as string;
  secrets = async () => {
    const tokens = await Promise.all([
      storedTokens(user.userId as string),
      storedTokens(other.userId as string),
    ]);
    return tokens.flatMap((t) => (t ? [t.access_token, t.refresh_token] : []));
  };
});

const text = (maxLength: number) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });

const planArb = fc.record({
  method: fc.constantFrom("POST", "PATCH", "PATCH", "PATCH", "HEAD", "DELETE", "OPTIONS", "GET", "PUT"),
  target: fc.constantFrom("collection", "fresh", "fresh", "unknown", "foreign"),
  tus: fc.oneof(
    { weight: 6, arbitrary: fc.constant<string | undefined>("1.0.0") },
    fc.constant(undefined),
    text(8),
  ),
  contentType: fc.oneof(
    { weight: 5, arbitrary: fc.constant<string | undefined>("application/offset+octet-stream") },
    fc.constant(undefined),
    fc.constantFrom("application/octet-stream", "text/plain", "application/offset+octet-stream; x=1"),
  ),
  offset: fc.oneof(
    { weight: 5, arbitrary: fc.constant<string | undefined>("right") },
    fc.constant(undefined),
    fc.nat({ max: 3000 }).map(String),
    fc.constantFrom("-1", "1e3", "abc", " 0", "99999999999999999999"),
  ),
  length: fc.oneof(
    { weight: 4, arbitrary: fc.nat({ max: 3000 }).map(String) },
    fc.constant<string | undefined>(undefined),
    fc.constantFrom("0", "-1", "1e3", "x", String(6 * 1024 ** 3)),
  ),
  metadata: fc.oneof(
    { weight: 4, arbitrary: fc.constant<string | undefined>(formatUploadMetadata({ filename: "fuzz.bin" })) },
    fc.constant(undefined),
    text(60),
    fc.constantFrom("filename", "filename YQ==,filename YQ==", "iv AAAA, filename YQ=="),
  ),
  origin: fc.constantFrom<string | null>(APP_ORIGIN, APP_ORIGIN, APP_ORIGIN, "https://evil.test", null),
  body: fc.oneof(
    { weight: 2, arbitrary: fc.constant(new Uint8Array(0)) },
    fc.uint8Array({ maxLength: 2500 }),
  ),
  declare: fc.oneof(
    fc.constant<"true" | "none" | number>("true"),
    fc.constant("none"),
    fc.integer({ min: -3, max: 3 }),
  ),
});

type Plan = typeof planArb extends fc.Arbitrary<infer T> ? T : never;
const seen = new Map<string, number>();

async function check(plan: Plan): Promise<void> {
  // A creation goes to the collection (at an upload's URL it is only a 404).
  const target = plan.method === "POST" && plan.target !== "unknown" ? "collection" : plan.target;
  const fresh = target === "fresh" ? ((await create(user, LENGTH)).headers.get("Location") as string) : "";
  const path = {
    collection: "/api/uploads",
    fresh,
    unknown: "/api/uploads/AAAAAAAAAAAAAAAAAAAAAA",
    foreign,
  }[target];
  const before = target === "fresh" ? 0 : undefined;
  const foreignBefore = await head(other, foreign);
  const headers = new Headers();
  if (plan.tus !== undefined) headers.set("Tus-Resumable", plan.tus);
  if (plan.contentType !== undefined) headers.set("Content-Type", plan.contentType);
  if (plan.offset !== undefined) headers.set("Upload-Offset", plan.offset === "right" ? "0" : plan.offset);
  if (plan.length !== undefined) headers.set("Upload-Length", plan.length);
  if (plan.metadata !== undefined) headers.set("Upload-Metadata", plan.metadata);
  const withBody = !["GET", "HEAD"].includes(plan.method);
  if (withBody && plan.declare !== "none")
    headers.set(
      "Content-Length",
      String(Math.max(0, plan.body.length + (plan.declare === "true" ? 0 : plan.declare))),
    );
  const answer = await user.fetch(path, {
    method: plan.method,
    headers,
    origin: plan.origin,
    ...(withBody ? { body: plan.body } : {}),
  });
  const where = `${plan.method} ${target}`;
  const { status } = await expectFuzzedAnswer(answer, { method: plan.method, where }, seen, await secrets());
  if (target === "fresh" && before !== undefined) {
    const after = await head(user, fresh);
    if (after.status === 200) {
      expect(after.offset, where).toBeLessThanOrEqual(LENGTH);
      if (status >= 300) expect(after.offset, `${where}: moved on ${status}`).toBe(before);
    }
  }
  expect(await head(other, foreign), `${where}: the other user's upload`).toEqual(foreignBefore);
  // Ended, so that the runs never reach the limit of uploads in progress.
  if (fresh)
    await user.fetch(fresh, { method: "DELETE", origin: APP_ORIGIN, headers: { "Tus-Resumable": "1.0.0" } });
}

describe("fuzzing the tus routes", () => {
  it("keeps the invariants; reaches creation, PATCHes and every refusal", { timeout: 120_000 }, async () => {
    await fuzzAndReach(planArb, check, { seed: 1313, numRuns: SOAK ? 2000 : 200 }, seen, [
      "201 ",
      "204 ",
      "400 BAD_UPLOAD_LENGTH",
      "400 BAD_UPLOAD_METADATA",
      "403 CSRF_ORIGIN",
      "404 NOT_FOUND",
      "409 OFFSET_MISMATCH",
      "412 TUS_VERSION_UNSUPPORTED",
      "415 UNSUPPORTED_MEDIA_TYPE",
    ]);
  });
});
