/**
 * Test support for the Worker with an import contract (`DIGIME_WRITE_API=import`, the
 * `workerd-import` project): signed-in users, what their vault holds, and their files at the
 * emulator (found by the account reference the sign-in gave).
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { vaultFor } from "../../src/lib/session.ts";
import { Browser, signIn } from "./browser.ts";
import { emulator } from "./emulator-admin.ts";
import { storedTokens } from "./vault-access.ts";

const testEnv = env as unknown as Env;

/** The account reference a user's vault holds (null when none). */
export async function accountReferenceOf(userId: string): Promise<string | null> {
  return runInDurableObject(vaultFor(testEnv, userId), (_i, state) => {
    const row = state.storage.sql
      .exec<{ account_reference: string | null }>("SELECT account_reference FROM tokens")
      .toArray()[0];
    return row?.account_reference ?? null;
  });
}

/** The emulator's user who has the account `reference`. */
export async function emulatorUserOf(reference: string) {
  const found = (await emulator.users()).find((u) => u.accounts.some((a) => a.reference === reference));
  if (!found) throw new Error("no emulator user has that account");
  return found;
}

/**
 * A browser signed in through the whole import sign-in (`sourceType=push` when `push`), with its
 * session id, account reference, emulator user and stored token pair; the emulator's counters reset.
 */
export async function signedInImportUser(options: { push?: boolean } = {}) {
  const browser = new Browser();
  await signIn(browser, undefined, options.push ? { sourceType: "push" } : {});
  const userId = browser.userId as string;
  const accountReference = (await accountReferenceOf(userId)) as string;
  expect(accountReference).toBeTruthy();
  const digimeUser = await emulatorUserOf(accountReference);
  const before = await storedTokens(userId);
  await emulator.resetStats();
  return { browser, userId, accountReference, digimeUser, before };
}

/** A user's imported files at the emulator. */
export function importedFiles(digimeUserId: string) {
  return emulator.userFiles(digimeUserId, "import");
}
