/**
 * No answer, header or log line ever carries the private key, a token or the session secret. Every
 * test file scans all of its answers and the Worker's log lines when it ends (see
 * `support/secret-scan.ts`); this file checks the scanner itself and drives every kind of answer,
 * failures included.
 */
import { env } from "cloudflare:workers";
import { seal } from "@digime-edge/sdk-core";
import { describe, expect, it } from "vitest";
import { Browser, signedInBrowser } from "./support/browser.ts";
import { bytesOf } from "./support/bytes.ts";
import { digime } from "./support/digime-proxy.ts";
import { emulator } from "./support/emulator-admin.ts";
import { upload, uploadForm } from "./support/posts.ts";
import { publicKeyOf, uploadSealedParts } from "./support/sealed-uploads.ts";
import { findSecrets, recordedAnswers, scanCounts } from "./support/secret-scan.ts";
import { APP_ORIGIN } from "./support/test-env.ts";
import { expireStoredAccessToken, postboxOf, storedTokens } from "./support/vault-access.ts";

describe("secrets never leave the Worker", () => {
  it("the scanner finds each kind of secret", async () => {
    const pem = (env as unknown as Env).DIGIME_PRIVATE_KEY;
    const line = pem.split("\n")[3] as string;
    expect(findSecrets(`oops ${line} oops`)).not.toEqual([]);
    expect(findSecrets(`x${(env as unknown as Env).SESSION_SECRET}x`)).not.toEqual([]);
    expect(findSecrets("token abc-123-secret-token", ["abc-123-secret-token"])).not.toEqual([]);
    expect(findSecrets("nothing to see")).toEqual([]);
  });

  it("drives every kind of answer, and none carries a secret", async () => {
    const browser = await signedInBrowser();
    const userId = browser.userId as string;
    const tokens = await storedTokens(userId);
    expect(tokens?.access_token.length).toBeGreaterThan(8);

    await browser.fetch("/api/session", { origin: APP_ORIGIN });
    await upload(browser, uploadForm(bytesOf(2048), { tags: ["t"] }));
    await upload(browser, uploadForm("x", "{bad"));
    await upload(browser, uploadForm("x"), { origin: "https://evil.test" });
    await upload(new Browser(), uploadForm("x"));
    const limited = await signedInBrowser();
    await upload(limited, uploadForm("x"), { env: { RATE_LIMIT_PER_MINUTE: "1" } });
    expect((await upload(limited, uploadForm("x"), { env: { RATE_LIMIT_PER_MINUTE: "1" } })).status).toBe(
      429,
    );
    await browser.fetch("/auth/start", { env: { DIGIME_PRIVATE_KEY: "x" } });
    await browser.fetch("/auth/start?returnTo=https://evil.test");
    await browser.fetch("/auth/callback?success=true&code=abc&state=forged");
    await emulator.fault({ route: "postbox", failNext: 1, statuses: [500] });
    await upload(browser, uploadForm("x"));
    await emulator.clearFaults();
    await expireStoredAccessToken(userId);
    await digime("down");
    await upload(browser, uploadForm("x"));
    await digime("up");
    expect((await upload(browser, uploadForm("x"))).status).toBe(200);
    const rotated = await storedTokens(userId);
    expect(rotated?.refresh_token).not.toBe(tokens?.refresh_token);

    // Sealed uploads: delivered, refused, refreshed after the body was spent, digi.me down.
    const publicKey = await publicKeyOf(browser);
    const sealFile = (size: number) =>
      seal({
        publicKey,
        fileData: bytesOf(size),
        fileDescriptor: { mimeType: "text/plain", accounts: [{ accountId: userId }] },
      });
    expect((await uploadSealedParts(browser, await sealFile(2048))).status).toBe(200);
    const sealed = await sealFile(64);
    await uploadSealedParts(browser, sealed, { overrides: { "X-Digime-Iv": "00" } });
    await uploadSealedParts(browser, sealed, {
      overrides: { "X-Digime-Symmetrical-Key": btoa("x".repeat(200)) },
    });
    await uploadSealedParts(browser, { ...sealed, body: new Uint8Array(17) });
    await uploadSealedParts(browser, sealed, { origin: "https://evil.test" });
    await emulator.expireTokens({ postboxId: await postboxOf(userId) });
    const spent = await uploadSealedParts(browser, await sealFile(1536 * 1024));
    expect(spent.status).toBe(503);
    await scanCounts(); // learns the pair that refresh stored
    await expireStoredAccessToken(userId);
    await digime("down");
    expect((await uploadSealedParts(browser, await sealFile(64))).status).toBe(503);
    await digime("up");
    expect((await uploadSealedParts(browser, await sealFile(64))).status).toBe(200);

    const counts = await scanCounts();
    await browser.fetch("/auth/logout", { method: "POST" });

    expect(counts.answers).toBeGreaterThanOrEqual(25);
    expect(counts.logs).toBeGreaterThan(0);
    expect(counts.tokens).toBeGreaterThanOrEqual(8);
    // The rotated and the first pair are both known to the scanner by now.
    for (const { where, text } of recordedAnswers()) {
      expect(findSecrets(text), where).toEqual([]);
    }
  });
});
