/** Checks on a browser's session that several suites make: signed out, and its uploads refused. */
import { expect } from "vitest";
import { errorOf } from "./answers.ts";
import type { Browser } from "./browser.ts";
import { upload, uploadForm } from "./posts.ts";

/** What `GET /api/session` returns without a session, on a postbox contract. */
export const SIGNED_OUT = {
  authenticated: false,
  canWrite: false,
  writeApi: "postbox",
  canSeal: false,
} as const;

/** What `GET /api/session` returns to `browser`. */
export async function sessionOf(browser: Browser) {
  return (await (await browser.fetch("/api/session")).json()) as {
    authenticated: boolean;
    canWrite: boolean;
    accountId?: string;
    publicKey?: string;
  };
}

/** `browser`'s session reaches nothing: not authenticated, cannot write, names no account. */
export async function expectNoSession(browser: Browser): Promise<void> {
  const info = await sessionOf(browser);
  expect(info).toMatchObject({ authenticated: false, canWrite: false });
  expect(info.accountId).toBeUndefined();
}

/** An upload of `text` from `browser` is refused with 401 `UNAUTHENTICATED`. */
export async function expectUploadUnauthenticated(browser: Browser, text = "x"): Promise<void> {
  expect(await errorOf(await upload(browser, uploadForm(text)))).toMatchObject({
    status: 401,
    code: "UNAUTHENTICATED",
  });
}
