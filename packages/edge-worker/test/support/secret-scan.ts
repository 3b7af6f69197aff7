/**
 * The secret scanner: loaded by every test file that calls the Worker (through `browser.ts`), it
 * records every answer and every log line, and when the file ends fails on any registered secret
 * found in them (the private key, the session secret, every signed-in user's tokens).
 */
import { afterAll, expect, vi } from "vitest";
import { testEnv } from "./test-env.ts";
import { storedTokens } from "./vault-access.ts";

const seen: { where: string; text: string }[] = [];
const logs: string[] = [];
const secrets = new Set<string>();
const knownUsers = new Set<string>();

for (const method of ["log", "info", "warn", "error", "debug"] as const) {
  const original = console[method].bind(console);
  vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
    logs.push(
      args
        .map((a) =>
          typeof a === "string"
            ? a
            : a instanceof Error
              ? `${a.name}: ${a.message} ${a.stack}`
              : JSON.stringify(a),
        )
        .join(" "),
    );
    original(...args);
  });
}

/** Registers a value that must never appear in an answer or a log line. */
export function addSecret(value: string | undefined): void {
  if (value && value.length >= 8) secrets.add(value);
}

function privateKeyFragments(pem: string): string[] {
  // The whole PEM, its base64 body on one line, and each full line of it.
  const lines = pem.split("\n").filter((l) => l && !l.startsWith("-----"));
  return [pem, lines.join(""), ...lines.filter((l) => l.length >= 32)];
}

function baseSecrets(): string[] {
  return [...privateKeyFragments(testEnv.DIGIME_PRIVATE_KEY), testEnv.SESSION_SECRET];
}

async function learnTokens(): Promise<void> {
  for (const userId of knownUsers) {
    const row = await storedTokens(userId).catch(() => null);
    addSecret(row?.access_token);
    addSecret(row?.refresh_token);
  }
}

/** Finds every registered secret in `text`; empty when clean. */
export function findSecrets(text: string, extra: string[] = []): string[] {
  return [...baseSecrets(), ...secrets, ...extra].filter((s) => text.includes(s));
}

/** Records an answer of the Worker for the scan. */
export async function record(where: string, response: Response): Promise<void> {
  const headers = [...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
  const body = response.body ? await response.clone().text() : "";
  seen.push({ where, text: `${response.status}\n${headers}\n\n${body}` });
}

/** How many answers, log lines and learnt tokens this file's scan covers (for the scanner's own test). */
export async function scanCounts(): Promise<{ answers: number; logs: number; tokens: number }> {
  await learnTokens();
  return { answers: seen.length, logs: logs.length, tokens: secrets.size };
}

/** Every answer recorded so far, as scanned text. */
export function recordedAnswers(): readonly { where: string; text: string }[] {
  return seen;
}

afterAll(async () => {
  await learnTokens();
  expect(seen.length).toBeGreaterThan(0);
  for (const { where, text } of seen)
    expect(findSecrets(text), `secret in the answer to ${where}`).toEqual([]);
  for (const line of logs) expect(findSecrets(line), "secret in a log line").toEqual([]);
});

/** Adds a signed-in user whose stored tokens the scan looks for, and learns them now. */
export async function rememberUser(userId: string): Promise<void> {
  knownUsers.add(userId);
  await learnTokens();
}
