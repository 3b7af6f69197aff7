/**
 * The idle timeout: a session unused for longer than
 * `SESSION_IDLE_TIMEOUT_SECONDS` ends, besides its absolute lifetime; every use keeps it going; the
 * vault of a session that went idle deletes itself.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { vaultFor } from "../src/lib/session.ts";
import { signedInBrowser } from "./support/browser.ts";
import { upload, uploadForm } from "./support/posts.ts";
import { expectNoSession, expectUploadUnauthenticated } from "./support/session-checks.ts";
import { storedTokens } from "./support/vault-access.ts";

const testEnv = env as unknown as Env & { SESSION_IDLE_TIMEOUT_SECONDS: string };
const IDLE_MS = Number(testEnv.SESSION_IDLE_TIMEOUT_SECONDS) * 1000;

/** Sets when the user's vault was last used. */
function lastUsed(userId: string, at: number): Promise<void> {
  return runInDurableObject(vaultFor(testEnv, userId), (_i, s) => {
    s.storage.sql.exec("UPDATE tokens SET last_seen_at = ?", at);
  });
}

function lastSeen(userId: string): Promise<number> {
  return runInDurableObject(
    vaultFor(testEnv, userId),
    (_i, s) => s.storage.sql.exec<{ at: number }>("SELECT last_seen_at AS at FROM tokens").one().at,
  );
}

describe("idle timeout", () => {
  it("the test settings give a timeout shorter than a session's lifetime", () => {
    expect(IDLE_MS).toBeGreaterThan(0);
    expect(IDLE_MS).toBeLessThan(30 * 24 * 3600_000);
  });

  it("a session unused for longer than the idle timeout is over: no session, no upload, no tokens kept", async () => {
    const browser = await signedInBrowser();
    const userId = browser.userId as string;
    await lastUsed(userId, Date.now() - IDLE_MS - 1000);
    await expectNoSession(browser);
    await expectUploadUnauthenticated(browser);
    expect(await storedTokens(userId)).toBeNull();
  });

  it("an upload after the idle timeout is refused too, before anything reaches digi.me", async () => {
    const browser = await signedInBrowser();
    const userId = browser.userId as string;
    await lastUsed(userId, Date.now() - IDLE_MS - 1000);
    await expectUploadUnauthenticated(browser);
    expect(await storedTokens(userId)).toBeNull();
  });

  it("every use keeps the session going", async () => {
    const browser = await signedInBrowser();
    const userId = browser.userId as string;
    const nearlyIdle = Date.now() - IDLE_MS + 60_000;
    await lastUsed(userId, nearlyIdle);
    expect(await (await browser.fetch("/api/session")).json()).toMatchObject({ authenticated: true });
    expect(await lastSeen(userId)).toBeGreaterThan(nearlyIdle);
    await lastUsed(userId, nearlyIdle);
    expect((await upload(browser, uploadForm("still here"))).status).toBe(200);
    expect(await lastSeen(userId)).toBeGreaterThan(nearlyIdle);
  });

  it("the vault of a session that went idle deletes itself; a used one stays", async () => {
    const used = await signedInBrowser();
    const idle = await signedInBrowser();
    await lastUsed(idle.userId as string, Date.now() - IDLE_MS - 1000);
    for (const browser of [used, idle]) {
      expect(await runDurableObjectAlarm(vaultFor(testEnv, browser.userId as string))).toBe(true);
    }
    expect(await storedTokens(idle.userId as string)).toBeNull();
    expect(await storedTokens(used.userId as string)).not.toBeNull();
    // The used one's alarm is set again, for when it would go idle.
    const alarm = await runInDurableObject(vaultFor(testEnv, used.userId as string), (_i, s) =>
      s.storage.getAlarm(),
    );
    expect(alarm).toBeGreaterThan(Date.now());
  });
});
