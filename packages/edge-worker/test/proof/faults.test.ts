/**
 * Faults between the Worker and digi.me: for every upload the Worker responds with either 200 `delivered`
 * with the exact bytes in the library, or a JSON error whose code and status say whether anything
 * was stored and whether sending again is safe ({@link MEANING}). It never says `delivered` for a
 * file that was not stored. After every fault run the user's stored refresh token still works: an
 * upload succeeds, and so does a forced refresh.
 *
 * Faults come from the emulator (`/admin/faults`: 429/500/502/503 bursts and seeded rates, latency,
 * connections dropped part-way through the body, on writes and on refreshes) and from the proxy in
 * front of it (`proxyScript`: access tokens expired again between the two attempts of one write; an
 * answer lost after digi.me did the work).
 *
 * Emulator faults strike before a write is stored, so every error here stored nothing. The one
 * exception is an answer lost after digi.me stored the file (last block): the protocol cannot tell
 * the Worker what happened, which is why `DIGIME_OUTCOME_UNKNOWN` means "unknown", and why neither
 * sdk-core nor the Worker sends such a file again by itself (no duplicates).
 */
import { seal } from "@digime-edge/sdk-core";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "../../src/client.ts";
import { REPLAYABLE_BYTES } from "../../src/lib/upload.ts";
import { errorOf, expectSecurityHeaders } from "../support/answers.ts";
import { type Browser, signedInUser, signIn } from "../support/browser.ts";
import { bytesOf, sha256 } from "../support/bytes.ts";
import { proxyScript } from "../support/digime-proxy.ts";
import { emulator, libraryCopies } from "../support/emulator-admin.ts";
import { upload, uploadForm } from "../support/posts.ts";
import { publicKeyOf, uploadSealedParts } from "../support/sealed-uploads.ts";
import { ORIGIN, SOAK } from "../support/test-env.ts";
import { expireStoredAccessToken, postboxOf, storedTokens } from "../support/vault-access.ts";

/**
 * What an error answer to an upload means. `stored`: `no` when digi.me stored nothing (it refused,
 * failed, or was never asked), `unknown` when no answer came back (the file may have been stored).
 * `retry`: when sending the same file again is safe: `now`, `later` (after `Retry-After` seconds),
 * `no` (it will fail the same way: fix the request), `sign-in` (after signing in again).
 *
 * | status | code                    | stored  | retry                                            |
 * | ------ | ----------------------- | ------- | ------------------------------------------------ |
 * | 503    | TOKEN_REFRESHED_RETRY   | no      | now (`Retry-After: 0`; the typed client does)    |
 * | 503    | DIGIME_UNAVAILABLE      | no      | later (`Retry-After`; digi.me returned 429/503)  |
 * | 502    | DIGIME_ERROR            | no      | later (digi.me returned 5xx after sdk-core's own retries) |
 * | 502    | DIGIME_REJECTED         | no      | no (digi.me refused the request: 4xx)            |
 * | 502    | DIGIME_BAD_RESPONSE     | no      | later (an answer that did not verify)            |
 * | 503    | DIGIME_UNREACHABLE_NOT_SENT | no  | later (`Retry-After`; no byte of the file went out) |
 * | 502    | DIGIME_OUTCOME_UNKNOWN  | unknown | check: sending again may store the file twice    |
 * | 503    | DIGIME_UNREACHABLE      | no      | later (the refresh before a resend got no answer) |
 * | 503    | DIGIME_TIMEOUT          | no      | later (the same, in time)                        |
 * | 401    | SESSION_EXPIRED         | no      | sign-in                                          |
 * | 429    | RATE_LIMITED            | no      | later (`Retry-After`)                            |
 * | 408    | BODY_TIMEOUT            | no      | now (the body came too slowly)                   |
 * | 4xx    | every other code        | no      | no                                               |
 */
const MEANING: Record<
  string,
  {
    status: number;
    stored: "no" | "unknown";
    retry: "now" | "later" | "no" | "sign-in" | "check";
    retryAfter: boolean;
  }
> = {
  TOKEN_REFRESHED_RETRY: { status: 503, stored: "no", retry: "now", retryAfter: true },
  DIGIME_UNAVAILABLE: { status: 503, stored: "no", retry: "later", retryAfter: true },
  DIGIME_ERROR: { status: 502, stored: "no", retry: "later", retryAfter: false },
  DIGIME_REJECTED: { status: 502, stored: "no", retry: "no", retryAfter: false },
  DIGIME_BAD_RESPONSE: { status: 502, stored: "no", retry: "later", retryAfter: false },
  DIGIME_UNREACHABLE_NOT_SENT: { status: 503, stored: "no", retry: "later", retryAfter: true },
  DIGIME_OUTCOME_UNKNOWN: { status: 502, stored: "unknown", retry: "check", retryAfter: false },
  DIGIME_UNREACHABLE: { status: 503, stored: "no", retry: "later", retryAfter: true },
  DIGIME_TIMEOUT: { status: 503, stored: "no", retry: "later", retryAfter: true },
  SESSION_EXPIRED: { status: 401, stored: "no", retry: "sign-in", retryAfter: false },
  RATE_LIMITED: { status: 429, stored: "no", retry: "later", retryAfter: true },
  BODY_TIMEOUT: { status: 408, stored: "no", retry: "now", retryAfter: false },
};

type Mode = "plain" | "sealed";

interface Ctx {
  browser: Browser;
  userId: string;
  postboxId: string;
  publicKey: string;
}

/** A signed-in user (see `signedInUser`) and its postbox public key, with no faults and no proxy script. */
async function ready(): Promise<Ctx> {
  await emulator.clearFaults();
  await proxyScript.clear();
  const { browser, userId, postboxId } = await signedInUser();
  return { browser, userId, postboxId, publicKey: await publicKeyOf(browser) };
}

/** Uploads `data` as `name`, plain (the Worker seals) or sealed here first. */
async function send(ctx: Ctx, mode: Mode, data: Uint8Array<ArrayBuffer>, name: string): Promise<Response> {
  if (mode === "plain") return upload(ctx.browser, uploadForm(data, undefined, name));
  const sealed = await seal({
    publicKey: ctx.publicKey,
    fileData: data,
    fileDescriptor: { mimeType: "application/octet-stream", accounts: [{ accountId: ctx.userId }] },
  });
  return uploadSealedParts(ctx.browser, sealed, { overrides: { "X-Digime-File-Name": name } });
}

/** What an upload's answer said, checked against what the library holds. */
interface Outcome {
  status: number;
  code: string;
  copies: number;
}

/**
 * The honesty check: 200 is `delivered` with exactly these bytes stored once; an error is JSON with
 * a known code whose status and `Retry-After` match {@link MEANING}, and stored nothing unless its
 * meaning is `unknown`.
 */
async function expectHonest(ctx: Ctx, answer: Response, data: Uint8Array<ArrayBuffer>): Promise<Outcome> {
  expectSecurityHeaders(answer);
  const hash = await sha256(data);
  const copies = (await libraryCopies(ctx.postboxId)).get(hash) ?? 0;
  if (answer.status === 200) {
    const body = (await answer.json()) as { status: string; bytes: number };
    expect(body.status).toBe("delivered");
    expect(copies, "a delivered file is in the library once").toBe(1);
    const file = (await emulator.files(ctx.postboxId)).find((f) => f.sha256 === hash);
    expect(await emulator.download(file?.url as string)).toEqual(data);
    return { status: 200, code: "delivered", copies };
  }
  const error = await errorOf(answer);
  expect(answer.headers.get("Content-Type")).toMatch(/^application\/json/);
  const meaning = MEANING[error.code ?? ""];
  expect(meaning, `a documented code (got ${error.status} ${error.code})`).toBeDefined();
  expect(error.status).toBe(meaning?.status);
  expect(error.message).toBeTruthy();
  if (meaning?.retryAfter) expect(error.retryAfter).toMatch(/^\d+$/);
  if (meaning?.stored === "no") expect(copies, `${error.code} stored nothing`).toBe(0);
  else expect(copies).toBeLessThanOrEqual(1);
  return { status: error.status, code: error.code as string, copies };
}

/** Expires the user's access token at digi.me and in the vault: the next call refreshes first. */
async function expireOnBothSides(ctx: Ctx): Promise<void> {
  await emulator.expireTokens({ postboxId: ctx.postboxId });
  await expireStoredAccessToken(ctx.userId);
}

/**
 * After a fault run: with faults cleared, an upload succeeds with the stored tokens, and so does a
 * forced refresh (the token expired on both sides), which rotates the stored pair.
 */
async function expectTokensStillWork(ctx: Ctx, seed: number): Promise<void> {
  await emulator.clearFaults();
  await proxyScript.clear();
  const data = bytesOf(3000, seed);
  const first = await send(ctx, "plain", data, `after-${seed}.bin`);
  expect(first.status, await first.clone().text()).toBe(200);
  expect((await expectHonest(ctx, first, data)).code).toBe("delivered");

  const before = await storedTokens(ctx.userId);
  const refreshes = (await emulator.stats()).refreshes;
  await expireOnBothSides(ctx);
  const sealedData = bytesOf(5000, seed + 1);
  const second = await send(ctx, "sealed", sealedData, `refreshed-${seed}.bin`);
  expect(second.status, await second.clone().text()).toBe(200);
  await expectHonest(ctx, second, sealedData);
  expect((await emulator.stats()).refreshes).toBe(refreshes + 1);
  const after = await storedTokens(ctx.userId);
  expect(after?.refresh_token).not.toBe(before?.refresh_token);
  expect(after?.access_expiry).toBeGreaterThan(Date.now());
}

const SMALL = 40_000;
const LARGE = REPLAYABLE_BYTES + 200_000;

afterEach(async () => {
  await emulator.clearFaults();
  await proxyScript.clear();
});

describe("faults on the way to digi.me", () => {
  it.each(["plain", "sealed"] as const)(
    "%s: bursts of 429/500/502/503 on writes, each answer exact",
    async (mode) => {
      const ctx = await ready();
      // [status, burst length, file size, expected code]. sdk-core sends a replayable body (at most
      // 1 MiB here) up to 3 times on 429/503; 500 is not retried; a gateway's 502 after the body
      // went out leaves the outcome unknown (not resent); a streamed body is never resent.
      const cases: [429 | 500 | 502 | 503, number, number, string][] = [
        [429, 1, SMALL, "delivered"],
        [429, 3, SMALL, "DIGIME_UNAVAILABLE"],
        [500, 1, SMALL, "DIGIME_ERROR"],
        [502, 1, SMALL, "DIGIME_OUTCOME_UNKNOWN"],
        [503, 2, SMALL, "delivered"],
        [503, 3, SMALL, "DIGIME_UNAVAILABLE"],
        [429, 1, LARGE, "DIGIME_UNAVAILABLE"],
        [502, 1, LARGE, "DIGIME_OUTCOME_UNKNOWN"],
        [503, 1, LARGE, "DIGIME_UNAVAILABLE"],
      ];
      let seed = 100;
      for (const [status, burst, size, expected] of cases) {
        seed++;
        await emulator.fault({
          route: "postbox",
          failNext: burst,
          statuses: [status],
          retryAfterSeconds: 0,
        });
        const data = bytesOf(size, seed);
        const outcome = await expectHonest(ctx, await send(ctx, mode, data, `burst-${seed}.bin`), data);
        expect(outcome.code, `${burst} x ${status}, ${size} bytes`).toBe(expected);
        await emulator.clearFaults();
      }
      await expectTokensStillWork(ctx, 1);
    },
  );

  it("seeded random errors, latency and dropped connections: every answer honest", async () => {
    const ctx = await ready();
    const runs = SOAK ? 200 : 16;
    const tally = new Map<string, number>();
    for (const seed of SOAK ? [7, 2024, 31337] : [2024]) {
      await emulator.fault({ seed });
      await emulator.fault({
        route: "postbox",
        errorRate: 0.35,
        statuses: [429, 500, 502, 503],
        retryAfterSeconds: 0,
        dropRate: 0.15,
        dropAfterBytes: 1024,
        latencyMs: 10,
      });
      for (let i = 0; i < runs; i++) {
        const mode: Mode = i % 2 === 0 ? "plain" : "sealed";
        const data = bytesOf(i % 4 === 3 ? LARGE : 1000 + i * 997, seed * 1000 + i);
        const outcome = await expectHonest(ctx, await send(ctx, mode, data, `r-${seed}-${i}.bin`), data);
        tally.set(outcome.code, (tally.get(outcome.code) ?? 0) + 1);
      }
    }
    // The seed makes the run exercise both sides: some delivered despite faults, some refused.
    expect(tally.get("delivered")).toBeGreaterThan(0);
    expect([...tally.keys()].filter((code) => code !== "delivered").length).toBeGreaterThan(0);
    expect((await emulator.stats()).faults.errors + (await emulator.stats()).faults.dropped).toBeGreaterThan(
      0,
    );
    await expectTokensStillWork(ctx, 2);
  }, 120_000);

  it.each(["plain", "sealed"] as const)(
    "%s: a connection dropped part-way through the body: resent when small and not all sent, else outcome unknown",
    async (mode) => {
      const ctx = await ready();
      await emulator.fault({ route: "postbox", dropNext: 1, dropAfterBytes: 64 * 1024 });
      const small = bytesOf(300_000, 31);
      // Sent again only if the runtime had not yet taken the whole body (digi.me cannot have it).
      const first = await expectHonest(ctx, await send(ctx, mode, small, "drop-small.bin"), small);
      expect(["delivered", "DIGIME_OUTCOME_UNKNOWN"]).toContain(first.code);
      await emulator.fault({ route: "postbox", dropNext: 1, dropAfterBytes: 256 * 1024 });
      const large = bytesOf(2 * 1024 * 1024, 32);
      const outcome = await expectHonest(ctx, await send(ctx, mode, large, "drop-large.bin"), large);
      expect(outcome).toEqual({ status: 502, code: "DIGIME_OUTCOME_UNKNOWN", copies: 0 });
      expect((await emulator.stats()).faults.dropped).toBe(2);
      await expectTokensStillWork(ctx, 3);
    },
  );

  it("latency on writes and on the refresh: concurrent uploads all delivered, one refresh", async () => {
    const ctx = await ready();
    await expireOnBothSides(ctx);
    await emulator.fault({ route: "postbox", latencyMs: 300 });
    await emulator.fault({ route: "token", latencyMs: 300 });
    const files = Array.from({ length: 8 }, (_, i) => bytesOf(i === 7 ? LARGE : 10_000 + i, 40 + i));
    const before = await emulator.stats();
    const answers = await Promise.all(
      files.map((data, i) => send(ctx, i % 2 ? "sealed" : "plain", data, `slow-${i}.bin`)),
    );
    for (const [i, answer] of answers.entries()) {
      expect((await expectHonest(ctx, answer, files[i] as Uint8Array<ArrayBuffer>)).code).toBe("delivered");
    }
    const after = await emulator.stats();
    expect(after.refreshes).toBe(1);
    // Every write and the refresh waited out the latency (the emulator counts each delayed answer).
    const writes = after.requests.postbox - before.requests.postbox;
    const grants = after.requests.token - before.requests.token;
    expect(writes).toBeGreaterThanOrEqual(files.length);
    expect(grants).toBeGreaterThanOrEqual(1);
    expect(after.faults.delayed - before.faults.delayed).toBe(writes + grants);
    await expectTokensStillWork(ctx, 4);
  });

  it.each(["plain", "sealed"] as const)(
    "%s: the token expires again between the two attempts of a write: 503 TOKEN_REFRESHED_RETRY, never 200",
    async (mode) => {
      const ctx = await ready();
      // First attempt: digi.me finds the token expired ("pending"); the Worker refreshes and sends
      // again; just before that second attempt the new token is expired too.
      await emulator.expireTokens({ postboxId: ctx.postboxId });
      await proxyScript.add(
        { route: "postbox", action: "pass" },
        { route: "postbox", action: "expire", filter: { postboxId: ctx.postboxId } },
      );
      const data = bytesOf(20_000, 51);
      const answer = await send(ctx, mode, data, "twice-expired.bin");
      const outcome = await expectHonest(ctx, answer, data);
      expect(outcome).toEqual({ status: 503, code: "TOKEN_REFRESHED_RETRY", copies: 0 });
      expect(answer.headers.get("Retry-After")).toBe("0");
      const stats = await emulator.stats();
      expect({ pending: stats.pending, writes: stats.writes, refreshes: stats.refreshes }).toEqual({
        pending: 2,
        writes: 0,
        refreshes: 1,
      });
      expect((await proxyScript.state()).applied).toHaveLength(2);

      // The typed client sends once more on TOKEN_REFRESHED_RETRY: delivered, once.
      await proxyScript.add(
        { route: "postbox", action: "expire", filter: { postboxId: ctx.postboxId } },
        { route: "postbox", action: "expire", filter: { postboxId: ctx.postboxId } },
      );
      const client = createClient(ORIGIN, { fetch: ctx.browser.fetchForClient });
      const again = bytesOf(20_000, 52);
      const result =
        mode === "plain"
          ? await client.upload(new Blob([again]), undefined, { fileName: "client.bin" })
          : await client.uploadSealed(new Blob([again]), undefined, { fileName: "client.bin" });
      expect(result.status).toBe("delivered");
      expect((await libraryCopies(ctx.postboxId)).get(await sha256(again))).toBe(1);
      await expectTokensStillWork(ctx, 5);
    },
  );

  it("refresh failures: 500, a 503 burst, a 429 and a dropped connection leave the stored pair intact", async () => {
    const ctx = await ready();
    await expireOnBothSides(ctx);
    const expired = await storedTokens(ctx.userId);
    const cases: [Record<string, unknown>, string][] = [
      [{ failNext: 1, statuses: [500] }, "DIGIME_ERROR"],
      [{ failNext: 3, statuses: [503], retryAfterSeconds: 0 }, "DIGIME_UNAVAILABLE"],
      [{ failNext: 3, statuses: [502] }, "DIGIME_ERROR"],
    ];
    let seed = 60;
    for (const [rule, code] of cases) {
      await emulator.fault({ route: "token", ...rule });
      const data = bytesOf(8000, ++seed);
      const outcome = await expectHonest(
        ctx,
        await send(ctx, seed % 2 ? "plain" : "sealed", data, "r.bin"),
        data,
      );
      expect(outcome.code, JSON.stringify(rule)).toBe(code);
      // A failed refresh never touches the stored pair.
      expect(await storedTokens(ctx.userId)).toEqual(expired);
      await emulator.clearFaults();
    }
    expect((await emulator.stats()).refreshes).toBe(0);

    // Faults sdk-core rides out: a 429 (retried), a connection dropped before digi.me read the
    // request (the refresh token was not spent, so sending it again works).
    for (const rule of [{ failNext: 1, statuses: [429], retryAfterSeconds: 0 }, { dropNext: 1 }]) {
      await expireOnBothSides(ctx);
      await emulator.fault({ route: "token", ...rule });
      const data = bytesOf(8000, ++seed);
      const outcome = await expectHonest(ctx, await send(ctx, "plain", data, "r.bin"), data);
      expect(outcome.code, JSON.stringify(rule)).toBe("delivered");
    }
    expect((await emulator.stats()).refreshes).toBe(2);
    await expectTokensStillWork(ctx, 6);
  });
});

describe("answers lost after digi.me did the work (documented, not preventable by the protocol)", () => {
  it.each(["plain", "sealed"] as const)(
    "%s: a small write's answer lost: not sent again, 502 DIGIME_OUTCOME_UNKNOWN, stored once",
    async (mode) => {
      const ctx = await ready();
      await proxyScript.add({ route: "postbox", action: "lose-answer" });
      const data = bytesOf(30_000, 71);
      const outcome = await expectHonest(ctx, await send(ctx, mode, data, "once.bin"), data);
      // No duplicate: the write has no idempotency key, so the Worker does not send it again.
      expect(outcome).toEqual({ status: 502, code: "DIGIME_OUTCOME_UNKNOWN", copies: 1 });
      expect((await emulator.stats()).writes).toBe(1);
      await expectTokensStillWork(ctx, 7);
    },
  );

  it("a streamed write's answer lost: 502 DIGIME_OUTCOME_UNKNOWN, and digi.me stored it", async () => {
    const ctx = await ready();
    await proxyScript.add({ route: "postbox", action: "lose-answer" });
    const data = bytesOf(LARGE, 72);
    const outcome = await expectHonest(ctx, await send(ctx, "plain", data, "unknown.bin"), data);
    // "unknown" is the truth: it was stored. Sending it again would store it twice.
    expect(outcome).toEqual({ status: 502, code: "DIGIME_OUTCOME_UNKNOWN", copies: 1 });
    await expectTokensStillWork(ctx, 8);
  });

  it("a refresh's answer lost after digi.me rotated the pair: 401 SESSION_EXPIRED, and signing in again recovers", async () => {
    const ctx = await ready();
    await expireOnBothSides(ctx);
    const expired = await storedTokens(ctx.userId);
    await proxyScript.add({ route: "token", action: "lose-answer" });
    const data = bytesOf(8000, 81);
    const outcome = await expectHonest(ctx, await send(ctx, "plain", data, "lost-refresh.bin"), data);
    // digi.me rotated the pair (its refresh tokens are single-use) but the new pair never arrived;
    // sdk-core's resend of the refresh carries the spent token and is refused. This is the one fault
    // that loses the user's tokens: the protocol has no way to fetch the new pair again.
    expect(outcome).toEqual({ status: 401, code: "SESSION_EXPIRED", copies: 0 });
    expect((await emulator.stats()).refreshes).toBe(1);
    expect(await storedTokens(ctx.userId)).toEqual(expired);
    const still = await errorOf(await send(ctx, "plain", data, "lost-refresh.bin"));
    expect(still).toMatchObject({ status: 401, code: "SESSION_EXPIRED" });

    // Signing in again gives a session (and vault) of its own; the stale one is forgotten.
    const stale = ctx.userId;
    await signIn(ctx.browser);
    ctx.userId = ctx.browser.userId as string;
    expect(ctx.userId).not.toBe(stale);
    expect(await storedTokens(stale)).toBeNull();
    ctx.postboxId = await postboxOf(ctx.userId);
    ctx.publicKey = await publicKeyOf(ctx.browser);
    await expectTokensStillWork(ctx, 9);
  });
});
