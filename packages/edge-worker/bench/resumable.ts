/**
 * `pnpm bench` section `resumable`: one 64 MiB file through the Worker as a single request
 * (`POST /api/files` plain, `POST /api/sealed-files` sealed) and as a resumable upload
 * (tus-js-client, PATCHes of the Worker's default `TUS_CHUNK_MAX_BYTES`, 50 MiB, staged in R2 and
 * delivered by the last PATCH), against one Worker under `wrangler dev` and the emulator as
 * `pnpm start` runs them (in temporary folders, on free ports of 127.0.0.1). The two ways take
 * turns, round after round; the median of each and their ratio (resumable over single request,
 * in time) are printed. Every upload is verified at the emulator: the library holds one more copy
 * whose SHA-256 is the file's.
 *
 *   node bench/resumable.ts [--rounds 3] [--mib 64]
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { seal } from "@digime-edge/sdk-core";
import { Upload } from "tus-js-client";
import { SEALED_HEADERS } from "../src/lib/sealed-envelope.ts";
import { startWorkerStack, type WorkerStack } from "../test/support/start-scripts.ts";
import { signInThroughWorker } from "./clients.ts";
import type { WorkerHost } from "./hosts.ts";
import { sha256 } from "./measure.ts";

const MiB = 1024 * 1024;
/** tus-js-client's PATCH size: the Worker's default `TUS_CHUNK_MAX_BYTES`. */
const CHUNK = 50 * MiB;

/** One mode's result. */
export interface ResumableRow {
  mode: "plain" | "sealed";
  bytes: number;
  rounds: number;
  /** Median seconds of a single-request upload. */
  singleS: number;
  /** Median seconds of a resumable upload. */
  resumableS: number;
  /** resumableS / singleS. */
  ratio: number;
  /** Every upload arrived once, byte for byte. */
  verified: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** What one upload sends: the single request, and the resumable upload's body and metadata. */
interface Prepared {
  single: { route: string; body: BodyInit; headers: Record<string, string> };
  resumable: { body: Buffer; metadata: Record<string, string> };
}

async function prepare(
  mode: ResumableRow["mode"],
  file: Uint8Array<ArrayBuffer>,
  session: { publicKey: string; accountId: string },
): Promise<Prepared> {
  const fileName = `bench-${mode}.bin`;
  if (mode === "plain") {
    const form = new FormData();
    form.append("file", new Blob([file]), fileName);
    return {
      single: { route: "/api/files", body: form, headers: {} },
      resumable: { body: Buffer.from(file), metadata: { filename: fileName } },
    };
  }
  const sealed = await seal({
    publicKey: session.publicKey,
    fileData: file,
    fileDescriptor: { mimeType: "application/octet-stream", accounts: [{ accountId: session.accountId }] },
  });
  const body =
    sealed.body instanceof Uint8Array
      ? sealed.body
      : new Uint8Array(await new Response(sealed.body).arrayBuffer());
  const { iv, symmetricalKey, metadata } = sealed;
  return {
    single: {
      route: "/api/sealed-files",
      body,
      headers: {
        "Content-Type": "application/octet-stream",
        [SEALED_HEADERS.iv]: iv,
        [SEALED_HEADERS.symmetricalKey]: symmetricalKey,
        [SEALED_HEADERS.metadata]: metadata,
        [SEALED_HEADERS.fileName]: fileName,
      },
    },
    resumable: { body: Buffer.from(body), metadata: { filename: fileName, iv, symmetricalKey, metadata } },
  };
}

async function sendSingle(workerUrl: string, cookie: string, prepared: Prepared): Promise<void> {
  const { route, body, headers } = prepared.single;
  const response = await fetch(`${workerUrl}${route}`, {
    method: "POST",
    body,
    headers: { Cookie: cookie, Origin: workerUrl, ...headers },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${route}: ${response.status} ${text.slice(0, 200)}`);
}

function sendResumable(workerUrl: string, cookie: string, prepared: Prepared): Promise<void> {
  return new Promise((resolve, reject) => {
    new Upload(prepared.resumable.body, {
      endpoint: `${workerUrl}/api/uploads`,
      headers: { Cookie: cookie, Origin: workerUrl },
      metadata: prepared.resumable.metadata,
      chunkSize: CHUNK,
      onSuccess: ({ lastResponse }) => {
        const status = (JSON.parse(lastResponse.getBody() || "{}") as { status?: string }).status;
        if (status === "delivered") resolve();
        else
          reject(new Error(`the last PATCH answered ${lastResponse.getStatus()} ${lastResponse.getBody()}`));
      },
      onError: reject,
    }).start();
  });
}

/** Copies in the library (every user) of the file whose SHA-256 is `hash`. */
async function copies(emulatorUrl: string, hash: string): Promise<number> {
  const response = await fetch(`${emulatorUrl}/library/api/files?limit=1000`);
  const { files } = (await response.json()) as { files: { sha256: string }[] };
  return files.filter((f) => f.sha256 === hash).length;
}

/**
 * Runs the section: starts the stack, times both ways for each mode, stops everything.
 *
 * @param options - Rounds per mode and the file's size in MiB.
 */
export async function resumableBench(options: { rounds: number; mib: number }): Promise<ResumableRow[]> {
  const base = await mkdtemp(join(tmpdir(), "bench-resumable-"));
  let stack: WorkerStack | undefined;
  try {
    stack = await startWorkerStack(base);
    const { workerUrl, emulatorUrl } = stack;
    const host = { label: "wrangler dev", fetch: (url: string, init?: RequestInit) => fetch(url, init) };
    const session = await signInThroughWorker(host as WorkerHost, workerUrl);
    const rows: ResumableRow[] = [];
    for (const mode of ["plain", "sealed"] as const) {
      const file = new Uint8Array(randomBytes(options.mib * MiB));
      const hash = sha256(file);
      const prepared = await prepare(mode, file, session);
      const times = { single: [] as number[], resumable: [] as number[] };
      let verified = true;
      let expected = 0;
      for (let round = 0; round < options.rounds; round++) {
        // Alternate which way goes first, so that neither always runs on a warmer Worker.
        const order =
          round % 2 === 0 ? (["single", "resumable"] as const) : (["resumable", "single"] as const);
        for (const way of order) {
          const started = performance.now();
          if (way === "single") await sendSingle(workerUrl, session.cookie, prepared);
          else await sendResumable(workerUrl, session.cookie, prepared);
          times[way].push((performance.now() - started) / 1000);
          expected += 1;
          if ((await copies(emulatorUrl, hash)) !== expected) verified = false;
        }
      }
      const singleS = median(times.single);
      const resumableS = median(times.resumable);
      rows.push({
        mode,
        bytes: file.length,
        rounds: options.rounds,
        singleS,
        resumableS,
        ratio: resumableS / singleS,
        verified,
      });
    }
    return rows;
  } finally {
    await stack?.stop();
    await rm(base, { recursive: true, force: true });
  }
}

/**
 * Prints the section's table.
 *
 * @param rows - {@link resumableBench}'s result.
 */
export function printResumable(rows: ResumableRow[]): void {
  console.log(
    `Resumable (tus-js-client, PATCHes of ${CHUNK / MiB} MiB, staged in R2) vs single-request uploads through the Worker under wrangler dev; median of ${rows[0]?.rounds ?? 0} rounds each`,
  );
  console.log("mode    size     | single s (MiB/s)  | resumable s (MiB/s) | ratio resumable/single");
  for (const r of rows) {
    const rate = (s: number) => `${s.toFixed(2)} (${(r.bytes / MiB / s).toFixed(1)})`;
    console.log(
      `${r.mode.padEnd(7)} ${`${r.bytes / MiB} MiB`.padEnd(8)} | ${rate(r.singleS).padEnd(17)} | ${rate(r.resumableS).padEnd(19)} | ${r.ratio.toFixed(2)}x${r.verified ? "" : " (NOT VERIFIED)"}`,
    );
  }
  console.log("Every upload verified: the emulator's library holds one more copy with the file's SHA-256.");
}

/**
 * Runs and prints the section (`pnpm bench`'s entry calls it); an upload that did not arrive intact
 * fails the run.
 *
 * @param options - Rounds per mode (default 3) and the file's size in MiB (default 64).
 */
export async function runResumableSection(options: { rounds?: number; mib?: number } = {}): Promise<void> {
  console.log("");
  const rows = await resumableBench({ rounds: options.rounds ?? 3, mib: options.mib ?? 64 });
  printResumable(rows);
  if (rows.some((r) => !r.verified)) process.exitCode = 1;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { rounds: { type: "string", default: "3" }, mib: { type: "string", default: "64" } },
  });
  await runResumableSection({ rounds: Number(values.rounds), mib: Number(values.mib) });
}
