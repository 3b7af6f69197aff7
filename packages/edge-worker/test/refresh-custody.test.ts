/**
 * The refresh token never leaves the user's Durable Object. The vault refreshes
 * by itself (single-flight) and hands the isolate only the access token; sdk-core's `refresh` hook
 * asks the vault, so the isolate never needs the refresh token. The test puts a recorder between
 * the Worker and its `USER_VAULT` binding and searches everything that crossed, both ways, for
 * every refresh token the vault held.
 */

import { env } from "cloudflare:workers";
import { seal } from "@digime-edge/sdk-core";
import { describe, expect, it } from "vitest";
import { Browser, signedInUser } from "./support/browser.ts";
import { bytesOf } from "./support/bytes.ts";
import { emulator } from "./support/emulator-admin.ts";
import { upload, uploadForm } from "./support/posts.ts";
import { publicKeyOf, uploadSealedParts } from "./support/sealed-uploads.ts";
import { expireStoredAccessToken, recordingVaults, storedTokens } from "./support/vault-access.ts";

const vaults = (env as unknown as Env).USER_VAULT;
/**
 * Sends once more after 503 `TOKEN_REFRESHED_RETRY`, as the typed client does: a body the Worker
 * called with overridden bindings gets has no `Content-Length`, so it streams, and cannot be sent
 * again by sdk-core after the refresh.
 */
async function delivered(send: () => Promise<Response>): Promise<void> {
  let answer = await send();
  if (answer.status === 503) answer = await send();
  expect(answer.status, await answer.clone().text()).toBe(200);
}

describe("the refresh token stays in the Durable Object", () => {
  it("uploads that refresh in the vault (before the write) and through sdk-core's hook (digi.me refused the token): nothing the isolate sends or gets holds a refresh token", async () => {
    const { browser, userId, postboxId, before } = await signedInUser();
    const crossed: { method: string; args: unknown[]; answer: unknown }[] = [];
    const overrides = { env: { USER_VAULT: recordingVaults(crossed) } };
    const refreshTokens = [before?.refresh_token as string];

    // Expired for both: the vault refreshes while admitting the write.
    await emulator.expireTokens({ postboxId });
    await expireStoredAccessToken(userId);
    await delivered(() => upload(browser, uploadForm("one", undefined, "one.bin"), overrides));
    refreshTokens.push((await storedTokens(userId))?.refresh_token as string);

    // Expired only at digi.me: sdk-core's refresh hook asks the vault, plain and sealed.
    await emulator.expireTokens({ postboxId });
    await delivered(() => upload(browser, uploadForm("two", undefined, "two.bin"), overrides));
    refreshTokens.push((await storedTokens(userId))?.refresh_token as string);
    await emulator.expireTokens({ postboxId });
    const sealed = await seal({
      publicKey: await publicKeyOf(browser),
      fileData: bytesOf(3000),
      fileDescriptor: { mimeType: "text/plain", accounts: [{ accountId: userId }] },
    });
    await delivered(() => uploadSealedParts(browser, sealed, overrides));
    refreshTokens.push((await storedTokens(userId))?.refresh_token as string);

    expect((await emulator.stats()).refreshes).toBe(3);
    expect(new Set(refreshTokens).size).toBe(4);
    const methods = new Set(crossed.map((c) => c.method));
    expect(methods.has("acquireWrite")).toBe(true);
    expect(methods.has("refresh")).toBe(true);
    const text = JSON.stringify(crossed);
    for (const token of refreshTokens) expect(text.includes(token)).toBe(false);
    // What the isolate got is enough to write: the access token in force now.
    expect(text).toContain((await storedTokens(userId))?.access_token as string);
  });

  it("a sign-in: the authorization code is exchanged in the vault; no token pair passes through the isolate", async () => {
    const crossed: { method: string; args: unknown[]; answer: unknown }[] = [];
    const overrides = { env: { USER_VAULT: recordingVaults(crossed) } };
    const browser = new Browser();
    const start = await browser.fetch("/auth/start", overrides);
    expect(start.status).toBe(302);
    const consent = await fetch(start.headers.get("Location") as string, { redirect: "manual" });
    const done = await browser.fetch(consent.headers.get("Location") as string, overrides);
    expect(done.status, await done.clone().text()).toBe(302);
    expect(new URL(done.headers.get("Location") as string).searchParams.get("digimeError")).toBeNull();
    const stored = await storedTokens(browser.userId as string);
    expect(stored).not.toBeNull();
    expect(crossed.length).toBeGreaterThan(0);
    const text = JSON.stringify(crossed);
    expect(text.includes(stored?.refresh_token as string)).toBe(false);
    expect(text.includes(stored?.access_token as string)).toBe(false);
  });

  it("the vault takes no token over RPC: only its own exchange and refresh store one", async () => {
    const stub = vaults.get(vaults.idFromName("user:custody-probe")) as unknown as {
      storeAuthorization(input: unknown): Promise<void>;
    };
    let refused: unknown;
    try {
      await stub.storeAuthorization({ token: {} });
    } catch (error) {
      refused = error;
    }
    expect(String(refused)).toMatch(/does not implement "storeAuthorization"/);
  });

  it("25 concurrent uploads with a token digi.me refuses: one refresh, all delivered, no refresh token crossed", async () => {
    const { browser, userId, postboxId } = await signedInUser();
    const crossed: { method: string; args: unknown[]; answer: unknown }[] = [];
    const overrides = { env: { USER_VAULT: recordingVaults(crossed) } };
    await emulator.expireTokens({ postboxId });
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        delivered(() => upload(browser, uploadForm(bytesOf(4000 + i, i), undefined, `c${i}.bin`), overrides)),
      ),
    );
    const stats = await emulator.stats();
    expect(stats.refreshes).toBe(1);
    expect(stats.writes).toBe(25);
    expect(crossed.filter((c) => c.method === "refresh").length).toBeGreaterThan(0);
    const stored = await storedTokens(userId);
    expect(JSON.stringify(crossed).includes(stored?.refresh_token as string)).toBe(false);
  });
});
