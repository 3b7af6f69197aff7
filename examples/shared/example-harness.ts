/**
 * What the Node, Deno and Bun examples' tests share: start an emulator on 127.0.0.1 (consent given
 * at once) with a dev contract of the script's kind, run the example script in its runtime against
 * it with a file made for the test, then check in the emulator's library that the file and the
 * JSON document arrived byte for byte. Whatever was started is stopped, also on failure.
 *
 * - {@link checkWriteExample}: the postbox write (`write`), on a postbox contract;
 * - {@link checkPushDataExample}: the import (`pushData`, `readAccounts`), on an import contract;
 * - {@link testExampleScripts}: both, as the two tests of an example's folder.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  type LibraryFileJson,
  type RunningEmulator,
  startEmulator,
} from "../../packages/emulator/dist/index.js";
// biome-ignore lint/correctness/useImportExtensions: the module is .mjs (its types are in run-process.d.mts)
import { runProcess } from "../../scripts/run-process.mjs";
import { exampleDescriptor } from "./descriptor.ts";

/** How to run one example script. */
export interface ExampleRun {
  /** `node`, `deno` or `bun`: the example's tag and the `example` field of its receipt. */
  runtime: string;
  /** The runtime's executable. */
  command: string;
  /** Its arguments, given the path of the file to send. */
  args: (file: string) => string[];
  /** The example's folder. */
  cwd: string;
  /** Extra environment. */
  env?: Record<string, string>;
}

/** What the write script prints last: the result as one line of JSON. */
interface WriteSummary {
  postboxId: string;
  files: { fileName: string; bytes: number; status: string }[];
  receipt: Record<string, unknown>;
}

/** What the pushData script prints last: the result as one line of JSON. */
interface PushDataSummary {
  accountReference: string;
  accounts: { id: string; reference: string; type: string }[];
  files: { fileName: string; bytes: number; sent?: number }[];
  receipt: Record<string, unknown>;
}

/** A finished run: the emulator (still running), the file sent, and what the script printed. */
interface Ran<Summary> {
  emulator: RunningEmulator;
  bytes: Buffer;
  fileName: string;
  summary: Summary;
  /** The script's exit code and output, for assertion messages. */
  output: string;
}

async function download(file: LibraryFileJson): Promise<Buffer> {
  const response = await fetch(file.url);
  assert.equal(response.status, 200, `GET ${file.url}`);
  return Buffer.from(await response.arrayBuffer());
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  return (await response.json()) as T;
}

/** The file from disk is in the library, byte for byte, with the descriptor the script sent. */
async function checkArrived(file: LibraryFileJson | undefined, bytes: Buffer, metadata: object) {
  assert.ok(file, "the file from disk is in the library");
  const received = await download(file);
  assert.equal(received.byteLength, bytes.byteLength, "the file's size");
  assert.ok(received.equals(bytes), "the file arrived byte for byte");
  assert.deepEqual(file.metadata, metadata);
}

/** The JSON document is in the library, byte for byte what the script printed as its receipt. */
async function checkReceipt(document: LibraryFileJson | undefined, receipt: Record<string, unknown>) {
  assert.ok(document, "the JSON document is in the library");
  assert.equal(document.mimeType, "application/json");
  assert.equal(
    (await download(document)).toString("utf8"),
    JSON.stringify(receipt),
    "the JSON document arrived byte for byte",
  );
}

/**
 * Starts an emulator with a dev contract of `writeApi`, runs the script against it with a fresh
 * odd-sized file of several MiB, hands the result to `check`, and stops everything.
 */
async function runExample<Summary, Result>(
  run: ExampleRun,
  writeApi: "postbox" | "import",
  check: (ran: Ran<Summary>) => Promise<Result>,
): Promise<Result> {
  const work = await mkdtemp(join(tmpdir(), `digime-example-${run.runtime}-`));
  const emulator = await startEmulator({
    port: 0,
    dataDir: join(work, "data"),
    autoApprove: true,
    devContract: { redirectUri: "http://127.0.0.1:8787/auth/callback", writeApi },
  });
  try {
    const dev = emulator.devContract;
    assert.ok(dev, "the emulator has its dev contract");
    assert.equal(dev.contract.writeApi, writeApi);
    // Odd-sized and several MiB: many chunks of a stream, not a whole number of AES blocks.
    const bytes = randomBytes(3 * 1024 * 1024 + 12_345);
    const fileName = `photo-${run.runtime}.bin`;
    const path = join(work, fileName);
    await writeFile(path, bytes);

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DIGIME_BASE_URL: emulator.baseUrl,
      DIGIME_ONBOARD_URL: emulator.onboardUrl,
      DIGIME_APPLICATION_ID: dev.contract.applicationId,
      DIGIME_CONTRACT_ID: dev.contract.contractId,
      DIGIME_PRIVATE_KEY_FILE: dev.privateKeyPath,
      DIGIME_REDIRECT_URI: dev.contract.redirectUri,
      NO_COLOR: "1",
      ...run.env,
    };
    delete env.DIGIME_PRIVATE_KEY;
    const out = await runProcess(run.command, run.args(path), { cwd: run.cwd, env, timeoutMs: 60_000 });
    const output = `exit ${out.code}\n--- stdout\n${out.stdout}\n--- stderr\n${out.stderr}`;
    assert.equal(out.code, 0, output);
    const last = out.stdout.trim().split("\n").at(-1) ?? "";
    const summary = JSON.parse(last) as Summary;
    return await check({ emulator, bytes, fileName, summary, output });
  } finally {
    await emulator.close();
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Runs the write script against a fresh emulator (postbox contract) and checks what arrived.
 *
 * @param run - How to run the script.
 * @returns What the script printed as its result.
 */
export function checkWriteExample(run: ExampleRun): Promise<WriteSummary> {
  return runExample<WriteSummary, WriteSummary>(run, "postbox", async (ran) => {
    const { emulator, bytes, fileName, summary, output } = ran;
    assert.deepEqual(
      summary.files.map((f) => [f.fileName, f.status]),
      [
        [fileName, "delivered"],
        ["receipt.json", "delivered"],
      ],
      output,
    );
    assert.equal(summary.receipt.example, run.runtime);
    const receiptBytes = Buffer.byteLength(JSON.stringify(summary.receipt));
    for (const line of [
      `Wrote ${fileName} (${bytes.byteLength} bytes, streamed): delivered`,
      `Wrote receipt.json (${receiptBytes} bytes): delivered`,
    ]) {
      assert.ok(output.includes(`\n${line}\n`), `prints "${line}": ${output}`);
    }

    const { files } = await getJson<{ files: LibraryFileJson[] }>(
      `${emulator.libraryUrl}/api/postboxes/${encodeURIComponent(summary.postboxId)}`,
    );
    assert.equal(files.length, 2, `two files in the postbox: ${JSON.stringify(files)}`);

    await checkArrived(
      files.find((f) => f.fileName === fileName),
      bytes,
      exampleDescriptor(run.runtime, "application/octet-stream"),
    );
    await checkReceipt(
      files.find((f) => f.fileName === "receipt.json"),
      summary.receipt,
    );
    return summary;
  });
}

/**
 * Runs the pushData script against a fresh emulator (import contract) and checks what arrived:
 * both files in the library of the user the sign-in named, as imports, byte for byte, and the
 * accounts the script listed are that user's.
 *
 * @param run - How to run the script.
 * @returns What the script printed as its result.
 */
export function checkPushDataExample(run: ExampleRun): Promise<PushDataSummary> {
  return runExample<PushDataSummary, PushDataSummary>(run, "import", async (ran) => {
    const { emulator, bytes, fileName, summary, output } = ran;
    assert.deepEqual(
      summary.files.map((f) => [f.fileName, f.bytes]),
      [
        [fileName, bytes.byteLength],
        ["receipt.json", Buffer.byteLength(JSON.stringify(summary.receipt))],
      ],
      output,
    );
    assert.equal(summary.files[0]?.sent, bytes.byteLength, "progress reached the file's size");
    assert.equal(summary.receipt.example, run.runtime);

    // The user the sign-in's accountReference names, and their accounts as the emulator has them.
    const { users } = await getJson<{
      users: { id: string; accounts: { id: string; reference: string; type: string }[] }[];
    }>(`${emulator.libraryUrl}/api/users`);
    const user = users.find((u) => u.accounts.some((a) => a.reference === summary.accountReference));
    assert.ok(user, `a user has the account ${summary.accountReference}: ${JSON.stringify(users)}`);
    assert.deepEqual(
      summary.accounts,
      user.accounts.map(({ id, reference, type }) => ({ id, reference, type })),
      "readAccounts listed the user's accounts",
    );

    const { files } = await getJson<{ files: LibraryFileJson[] }>(
      `${emulator.libraryUrl}/api/users/${encodeURIComponent(user.id)}/files`,
    );
    assert.equal(files.length, 2, `two files in the library: ${JSON.stringify(files)}`);
    assert.deepEqual(
      files.map((f) => [f.source, f.postboxId]),
      [
        ["import", null],
        ["import", null],
      ],
      "both are imports",
    );
    const referenced = (name: string) =>
      files.find((f) => (f.metadata as { reference?: string[] }).reference?.[0] === name);

    await checkArrived(
      referenced(fileName),
      bytes,
      exampleDescriptor(run.runtime, "application/octet-stream", fileName),
    );
    await checkReceipt(referenced("receipt.json"), summary.receipt);
    return summary;
  });
}

/**
 * Registers (with `node:test`) the two tests of an example's folder: its write script and its
 * pushData script, each run by {@link checkWriteExample} or {@link checkPushDataExample}.
 *
 * @param script - How to run the script of a given name.
 * @param names - The write script's and the pushData script's file names.
 */
export function testExampleScripts(
  script: (name: string) => ExampleRun,
  names: { write: string; pushData: string },
): void {
  const { runtime } = script(names.write);
  test(`${runtime}: the write script authorizes, streams a file from disk and writes a JSON document; both arrive byte for byte`, {
    timeout: 90_000,
  }, async () => {
    await checkWriteExample(script(names.write));
  });

  test(`${runtime}: the pushData script signs in to an import contract, pushes a file from disk as a stream and a JSON document (both arrive byte for byte) and lists the accounts`, {
    timeout: 90_000,
  }, async () => {
    await checkPushDataExample(script(names.pushData));
  });
}
