/**
 * With an import contract, the new routes keep the Worker's rules: the rate budget (uploads, FHIR
 * pushes, account listings and deletion draw from one per user), the per-user upload slots (a FHIR
 * push holds one, like an import), and the refresh token's custody (nothing that crosses between
 * the isolate and the vault holds a refresh token, whichever call refreshed).
 */
import { afterEach, describe, expect, it } from "vitest";
import { errorOf } from "../support/answers.ts";
import type { Browser } from "../support/browser.ts";
import { emulator } from "../support/emulator-admin.ts";
import { signedInImportUser } from "../support/import-users.ts";
import { postFhir, upload, uploadForm } from "../support/posts.ts";
import { APP_ORIGIN } from "../support/test-env.ts";
import { expireStoredAccessToken, recordingVaults, storedTokens } from "../support/vault-access.ts";

const BUNDLE = { resourceType: "Bundle", type: "collection", entry: [] };

function pushFhir(browser: Browser, accountId: string, env?: Record<string, unknown>, body?: BodyInit) {
  return postFhir(browser, body ?? { accountId, resource: BUNDLE }, "stu3", env ? { env } : {});
}

afterEach(async () => {
  await emulator.clearFaults();
});

describe("limits on the import API's routes", () => {
  it("one rate budget: accounts, FHIR pushes and imports draw from it; over it 429 RATE_LIMITED, digi.me not asked", async () => {
    const { browser, digimeUser } = await signedInImportUser({ push: true });
    const push = digimeUser.accounts.find((a) => a.type === "PUSH")?.id as string;
    const env = { RATE_LIMIT_PER_MINUTE: "3" };
    expect((await browser.fetch("/api/accounts", { env })).status).toBe(200);
    expect((await pushFhir(browser, push, env)).status).toBe(200);
    expect((await upload(browser, uploadForm("one"), { env })).status).toBe(200);
    const before = await emulator.stats();
    for (const answer of [
      await browser.fetch("/api/accounts", { env }),
      await pushFhir(browser, push, env),
      await upload(browser, uploadForm("two"), { env }),
      await browser.fetch("/api/user", { method: "DELETE", origin: APP_ORIGIN, env }),
    ]) {
      const error = await errorOf(answer);
      expect(error).toMatchObject({ status: 429, code: "RATE_LIMITED" });
      expect(Number(error.retryAfter)).toBeGreaterThan(0);
    }
    const after = await emulator.stats();
    expect(after.requests).toEqual(before.requests);
    expect(after.userDeletions).toBe(0);
  });

  it("a FHIR push holds an upload slot: with MAX_CONCURRENT_UPLOADS=1 the next upload or push is 429 TOO_MANY_UPLOADS until it ends", async () => {
    const { browser, digimeUser } = await signedInImportUser({ push: true });
    const push = digimeUser.accounts.find((a) => a.type === "PUSH")?.id as string;
    const env = { MAX_CONCURRENT_UPLOADS: "1" };
    const json = new TextEncoder().encode(JSON.stringify({ accountId: push, resource: BUNDLE }));
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let pulled: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      pulled = resolve;
    });
    let step = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          step++;
          if (step === 1) {
            controller.enqueue(json.slice(0, 10));
            pulled();
            return;
          }
          await held;
          controller.enqueue(json.slice(10));
          controller.close();
        },
      },
      { highWaterMark: 0 },
    );
    const first = pushFhir(browser, push, env, body);
    await started;
    for (const answer of [
      await pushFhir(browser, push, env),
      await upload(browser, uploadForm("x"), { env }),
    ]) {
      expect(await errorOf(answer)).toMatchObject({ status: 429, code: "TOO_MANY_UPLOADS" });
    }
    release();
    expect((await first).status).toBe(200);
    expect((await pushFhir(browser, push, env)).status).toBe(200);
    expect(await emulator.userFiles(digimeUser.id, "fhir")).toHaveLength(2);
  });
});

describe("the refresh token stays in the Durable Object (import API)", () => {
  it("imports, FHIR pushes, accounts and the deletion, refreshed in the vault or through sdk-core's hook: no refresh token crossed", async () => {
    const { browser, userId, digimeUser, before } = await signedInImportUser({ push: true });
    const push = digimeUser.accounts.find((a) => a.type === "PUSH")?.id as string;
    const crossed: { method: string; args: unknown[]; answer: unknown }[] = [];
    const env = { USER_VAULT: recordingVaults(crossed) };
    const refreshTokens = [before?.refresh_token as string];
    const kept = async () => refreshTokens.push((await storedTokens(userId))?.refresh_token as string);

    // Expired for both: the vault refreshes while admitting the call.
    await emulator.expireTokens({ userId: digimeUser.id });
    await expireStoredAccessToken(userId);
    expect((await browser.fetch("/api/accounts", { env })).status).toBe(200);
    await kept();
    // Expired only at digi.me: sdk-core's refresh hook asks the vault.
    for (const call of [
      () => upload(browser, uploadForm("imported", undefined, "i.bin"), { env }),
      () => pushFhir(browser, push, env),
      () => browser.fetch("/api/accounts", { env }),
    ]) {
      await emulator.expireTokens({ userId: digimeUser.id });
      let answer = await call();
      // A streamed import (overridden bindings: no Content-Length) is sent again by the client.
      if (answer.status === 503) answer = await call();
      expect(answer.status, await answer.clone().text()).toBe(200);
      await kept();
    }
    expect((await emulator.stats()).refreshes).toBe(4);
    expect(new Set(refreshTokens).size).toBe(5);
    expect((await browser.fetch("/api/user", { method: "DELETE", origin: APP_ORIGIN, env })).status).toBe(
      200,
    );
    const methods = new Set(crossed.map((c) => c.method));
    for (const method of ["acquireWrite", "acquireCall", "refresh", "clear"])
      expect(methods).toContain(method);
    const text = JSON.stringify(crossed);
    for (const token of refreshTokens) expect(text.includes(token)).toBe(false);
  });
});
