/**
 * What the Node, Deno and Bun examples' tests share: start an emulator on 127.0.0.1 (consent given
 * at once), run the example in its runtime against it with a file made for the test, then check in
 * the emulator's library that the file and the JSON document arrived byte for byte. Whatever was
 * started is stopped, also on failure.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LibraryFileJson, startEmulator } from "../../packages/emulator/dist/index.js";
import { runProcess } from "../../scripts/run-process.mjs";

/** How to run one example. */
export interface ExampleRun {
  /** `node`, `deno` or `bun`: the example's tag and the `example` field of its receipt. */
  runtime: string;
  /** The runtime's executable. */
  command: string;
  /** Its arguments, given the path of the file to write. */
  args: (file: string) => string[];
  /** The example's folder. */
  cwd: string;
  /** Extra environment. */
  env?: Record<string, string>;
}

/** What an example prints last: the result as one line of JSON. */
interface Summary {
  postboxId: string;
  files: { fileName: string; bytes: number; status: string }[];
  receipt: Record<string, unknown>;
}

async function download(file: LibraryFileJson): Promise<Buffer> {
  const response = await fetch(file.url);
  assert.equal(response.status, 200, `GET ${file.url}`);
  return Buffer.from(await response.arrayBuffer());
}

/**
 * Runs an example against a fresh emulator and checks what arrived.
 *
 * @param run - How to run the example.
 * @returns What the example printed as its result.
 */
export async function checkExample(run: ExampleRun): Promise<Summary> {
  const work = await mkdtemp(join(tmpdir(), `digime-example-${run.runtime}-`));
  const emulator = await startEmulator({
    port: 0,
    dataDir: join(work, "data"),
    autoApprove: true,
    devContract: { redirectUri: "http://127.0.0.1:8787/auth/callback" },
  });
  try {
    const dev = emulator.devContract;
    assert.ok(dev, "the emulator has its dev contract");
    // Odd-sized and several MiB: many chunks of a stream, not a whole number of AES blocks.
    const bytes = randomBytes(3 * 1024 * 1024 + 12_345);
    const path = join(work, `photo-${run.runtime}.bin`);
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
    assert.deepEqual(
      summary.files.map((f) => [f.fileName, f.status]),
      [
        [`photo-${run.runtime}.bin`, "delivered"],
        ["receipt.json", "delivered"],
      ],
      output,
    );
    assert.equal(summary.receipt.example, run.runtime);

    const response = await fetch(
      `${emulator.libraryUrl}/api/postboxes/${encodeURIComponent(summary.postboxId)}`,
    );
    assert.equal(response.status, 200);
    const { files } = (await response.json()) as { files: LibraryFileJson[] };
    assert.equal(files.length, 2, `two files in the postbox: ${JSON.stringify(files)}`);

    const file = files.find((f) => f.fileName === `photo-${run.runtime}.bin`);
    assert.ok(file, "the file from disk is in the library");
    const received = await download(file);
    assert.equal(received.byteLength, bytes.byteLength, "the file's size");
    assert.ok(received.equals(bytes), "the file arrived byte for byte");
    assert.deepEqual(file.metadata, {
      mimeType: "application/octet-stream",
      accounts: [{ accountId: "example-account" }],
      tags: ["example", run.runtime],
    });

    const document = files.find((f) => f.fileName === "receipt.json");
    assert.ok(document, "the JSON document is in the library");
    assert.equal(document.mimeType, "application/json");
    assert.equal(
      (await download(document)).toString("utf8"),
      JSON.stringify(summary.receipt),
      "the JSON document arrived byte for byte",
    );
    return summary;
  } finally {
    await emulator.close();
    await rm(work, { recursive: true, force: true });
  }
}
