import { beforeEach, describe, expect, it } from "vitest";
import { createClient } from "../src/client.ts";
import { signedInUser } from "./support/browser.ts";
import { bytesOf } from "./support/bytes.ts";
import { emulator } from "./support/emulator-admin.ts";
import { upload, uploadForm } from "./support/posts.ts";
import { ORIGIN } from "./support/test-env.ts";
import { expireStoredAccessToken, storedTokens } from "./support/vault-access.ts";

/** Small files are read whole (replayable); files over 1 MiB stream. */
const sizes = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 64 * 1024 : 1200 * 1024 + i));

describe("single-flight refresh", () => {
  beforeEach(async () => {
    await emulator.clearFaults();
  });

  it("20 concurrent uploads with an expired token: exactly one refresh, all 20 delivered", async () => {
    const { browser, userId, postboxId, before } = await signedInUser();
    // The token has expired for both sides, as when time has passed.
    await emulator.expireTokens({ postboxId });
    await expireStoredAccessToken(userId);

    const files = sizes(20).map((size, i) => bytesOf(size, i + 1));
    const answers = await Promise.all(
      files.map((data, i) => upload(browser, uploadForm(data, undefined, `f${i}.bin`))),
    );
    const bodies = await Promise.all(answers.map((a) => a.json()));
    expect(
      answers.map((a) => a.status),
      JSON.stringify(bodies),
    ).toEqual(Array(20).fill(200));

    const stats = await emulator.stats();
    expect(stats.refreshes).toBe(1);
    expect(stats.writes).toBe(20);
    const library = await emulator.files(postboxId);
    expect(library.map((f) => f.size).sort()).toEqual(files.map((f) => f.length).sort());

    // The rotated pair was stored.
    const after = await storedTokens(userId);
    expect(after?.refresh_token).not.toBe(before?.refresh_token);
    expect(after?.access_token).not.toBe(before?.access_token);
    expect(after?.access_expiry).toBeGreaterThan(Date.now());
  });

  it("a token that only digi.me considers expired: one refresh, small uploads are sent again by the Worker", async () => {
    const { browser, postboxId } = await signedInUser();
    await emulator.expireTokens({ postboxId });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        upload(browser, uploadForm(bytesOf(32 * 1024, i), undefined, `s${i}.bin`)),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    const stats = await emulator.stats();
    expect(stats.refreshes).toBe(1);
    expect(stats.writes).toBe(10);
  });

  it("streamed uploads refused after the refresh get TOKEN_REFRESHED_RETRY, and the typed client sends again", async () => {
    const { browser, userId, postboxId } = await signedInUser();
    await emulator.expireTokens({ postboxId });
    const big = bytesOf(1500 * 1024, 9);
    const first = await upload(browser, uploadForm(big));
    expect(first.status).toBe(503);
    expect(first.headers.get("Retry-After")).toBe("0");
    expect(await first.json()).toMatchObject({ error: { code: "TOKEN_REFRESHED_RETRY" } });
    expect((await emulator.stats()).refreshes).toBe(1);
    const stored = await storedTokens(userId);
    expect(stored?.access_expiry).toBeGreaterThan(Date.now());

    await emulator.expireTokens({ postboxId });
    const client = createClient(ORIGIN, { fetch: browser.fetchForClient });
    const result = await client.upload(new Blob([big]), undefined, { fileName: "retried.bin" });
    expect(result).toMatchObject({ status: "delivered", bytes: big.length });
    expect((await emulator.stats()).refreshes).toBe(2);
    expect((await emulator.files(postboxId)).map((f) => f.fileName)).toEqual(["retried.bin"]);
  });

  it("an expired refresh token asks the user to sign in again", async () => {
    const { browser, userId, postboxId } = await signedInUser();
    await emulator.expireTokens({ postboxId, kind: "both" });
    await expireStoredAccessToken(userId);
    const answer = await upload(browser, uploadForm("x"));
    expect(answer.status).toBe(401);
    expect(await answer.json()).toMatchObject({ error: { code: "SESSION_EXPIRED" } });
  });
});
