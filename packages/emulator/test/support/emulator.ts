/** The emulator as the tests run it: started and stopped per file, waited for, read back. */
import { mkdtempSync, rmSync } from "node:fs";
import { type OutgoingHttpHeaders, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, vi } from "vitest";
import {
  type LibraryFileJson,
  type RunningEmulator,
  type StartEmulatorOptions,
  startEmulator,
} from "../../src/index.ts";
import { Client, type Onboarded } from "./client.ts";
import { testContract } from "./protocol.ts";

/** Starts an in-memory emulator on 127.0.0.1:0 with the test contract. */
export const start = (options: StartEmulatorOptions = {}) =>
  startEmulator({ memory: true, contracts: [testContract()], ...options });

/** What {@link useEmulator} hands a test file. */
export interface EmulatorSetup {
  emu: RunningEmulator;
  client: Client;
}

/**
 * The usual setup of a test file: an auto-approving emulator ({@link start}) and a {@link Client}
 * before all its tests (and, with `onboard`, one onboarded user, `box`), closed after them.
 *
 * @param ready - Takes the setup once it is up (assign it to the file's variables).
 */
export function useEmulator(ready: (setup: EmulatorSetup) => void): void;
export function useEmulator(
  ready: (setup: EmulatorSetup & { box: Onboarded }) => void,
  options: { onboard: true },
): void;
export function useEmulator(
  ready: (setup: EmulatorSetup & { box: Onboarded }) => void,
  options: { onboard?: boolean } = {},
): void {
  let emu: RunningEmulator | undefined;
  beforeAll(async () => {
    emu = await start({ autoApprove: true });
    const client = new Client(emu);
    const box = options.onboard ? await client.onboard() : (undefined as unknown as Onboarded);
    ready({ emu, client, box });
  });
  afterAll(() => emu?.close());
}

export const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string; reference?: string } }).error;

/** Checks a refusal: status, code, and the same code, message and reference in the X-Error-* headers. */
export const expectRefusal = async (res: Response, status: number, code: string) => {
  expect(res.status).toBe(status);
  const error = await errorOf(res);
  expect(error.code).toBe(code);
  expect(res.headers.get("x-error-code")).toBe(code);
  expect(res.headers.get("x-error-message")).toBe(error.message.replace(/[^\x20-\x7e]/g, "?"));
  expect(res.headers.get("x-error-reference")).toBe(error.reference);
};

/**
 * Follows an onboarding URL with auto-approve on and checks the redirect says
 * `success=true&state=<state>`; returns its query.
 */
export const approvedRedirect = async (url: string, state: string) => {
  const res = await fetch(url, { redirect: "manual" });
  expect(res.status).toBe(302);
  const query = new URL(res.headers.get("location") ?? "").searchParams;
  expect(query.get("success")).toBe("true");
  expect(query.get("state")).toBe(state);
  return query;
};

/** Temporary folders for one test file, removed after its tests: call at the top level. */
export const useTempDirs = (): (() => string) => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), "digime-emulator-test-"));
    dirs.push(dir);
    return dir;
  };
};

/** A postbox's files from the library API, newest first (at most `limit` when given). */
export const postboxFiles = async (emulator: RunningEmulator, postboxId: string, limit?: number) => {
  const res = await fetch(
    `${emulator.libraryUrl}/api/files?postboxId=${postboxId}${limit === undefined ? "" : `&limit=${limit}`}`,
  );
  const { files } = (await res.json()) as { files: LibraryFileJson[] };
  return files;
};

export const latestFile = async (emulator: RunningEmulator, postboxId: string) =>
  (await postboxFiles(emulator, postboxId, 1))[0];

export const download = async (url: string) => Buffer.from(await (await fetch(url)).arrayBuffer());

/** How long a test waits for the emulator to reach a state before it fails. */
export const WAIT = { timeout: 10_000, interval: 5 } as const;

/** Waits (bounded by {@link WAIT}) until every request that reached `emulator` has settled. */
export const untilSettled = (emulator: RunningEmulator) =>
  vi.waitFor(() => expect(emulator.requestsInProgress, "requests in progress").toBe(0), WAIT);

/**
 * Sends the first `part` of a request body, waits until the emulator has an upload on its way to
 * disk (failing if none comes), cuts the connection, and waits until its handler has settled.
 * Returns the uploads that were pending while it was sending.
 */
export async function cutMidUpload(
  emulator: RunningEmulator,
  url: URL,
  headers: OutgoingHttpHeaders,
  part: Buffer,
): Promise<string[]> {
  const req = request(url, { method: "POST", headers });
  const closed = new Promise<void>((resolve) => {
    req.on("error", () => resolve());
    req.on("close", () => resolve());
  });
  req.write(part);
  await vi.waitFor(
    () => expect(emulator.store.pendingUploads(), "an upload on its way").toHaveLength(1),
    WAIT,
  );
  const during = emulator.store.pendingUploads();
  req.destroy();
  await closed;
  await untilSettled(emulator);
  return during;
}
