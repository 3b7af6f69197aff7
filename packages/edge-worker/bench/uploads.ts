/**
 * `pnpm bench`: 64 KiB uploads through the Worker under `wrangler dev`, at concurrency 1, 8 and 32,
 * next to direct sdk-core writes to the same emulator (the Worker's overhead as a ratio), and the
 * deployable bundle's size gzipped. Starts and stops everything itself; prints a table and writes
 * `bench/results.json`. Run after `pnpm build` (it uses sdk-core's and the emulator's dist).
 *
 *   node bench/uploads.ts [--seconds 5] [--port 8799]
 */
import { spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { startEmulator } from "@digime-edge/emulator";
import { init, type UserAccessToken } from "@digime-edge/sdk-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const { values } = parseArgs({
  options: { seconds: { type: "string", default: "5" }, port: { type: "string", default: "8799" } },
});
const SECONDS = Number(values.seconds);
const PORT = Number(values.port);
const WORKER = `http://127.0.0.1:${PORT}`;
const SIZE = 64 * 1024;
const LEVELS = [1, 8, 32];
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Runs `task` with `concurrency` workers for SECONDS; answers rate and latency percentiles. */
async function measure(concurrency: number, task: () => Promise<void>) {
  const latencies: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  let failures = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          await task();
          latencies.push(performance.now() - t);
        } catch {
          failures++;
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    concurrency,
    uploads: latencies.length,
    failures,
    perSecond: Number((latencies.length / SECONDS).toFixed(1)),
    p50Ms: Number(percentile(latencies, 50).toFixed(1)),
    p99Ms: Number(percentile(latencies, 99).toFixed(1)),
  };
}

async function bundleSize(): Promise<{ bytes: number; gzipBytes: number }> {
  const out = mkdtempSync(join(tmpdir(), "edge-bundle-"));
  try {
    await run(["deploy", "--dry-run", "--outdir", out]);
    const code = readFileSync(join(out, "index.js"));
    return { bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, "node_modules/.bin/wrangler"), args, { cwd: root, env, stdio: "ignore" });
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`wrangler ${args[0]} exited ${code}`)),
    );
  });
}

/** Follows the sign-in through the Worker and the auto-approving emulator; answers the cookie. */
async function signIn(): Promise<string> {
  const start = await fetch(`${WORKER}/auth/start`, { redirect: "manual" });
  const authCookie = start.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const consent = await fetch(start.headers.get("location") as string, { redirect: "manual" });
  const done = await fetch(consent.headers.get("location") as string, {
    redirect: "manual",
    headers: { cookie: authCookie },
  });
  const session = done.headers.getSetCookie().find((c) => c.startsWith("digime_session="));
  if (!session) throw new Error(`sign-in failed: ${done.status} ${await done.text()}`);
  return session.split(";")[0] as string;
}

async function main() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const contract = {
    applicationId: "bench-app",
    contractId: "bench-contract",
    publicKey: publicKey.export({ type: "pkcs1", format: "pem" }).toString(),
    redirectUri: `${WORKER}/auth/callback`,
    write: true,
  };
  const emulator = await startEmulator({ port: 0, memory: true, autoApprove: true, contracts: [contract] });
  const vars = {
    DIGIME_APPLICATION_ID: contract.applicationId,
    DIGIME_CONTRACT_ID: contract.contractId,
    DIGIME_REDIRECT_URI: contract.redirectUri,
    DIGIME_BASE_URL: emulator.baseUrl,
    DIGIME_ONBOARD_URL: emulator.onboardUrl,
    RATE_LIMIT_PER_MINUTE: "100000000",
    ALLOWED_ORIGINS: "",
  };
  // Secrets go in a temporary env file, not on the command line.
  const secretsDir = mkdtempSync(join(tmpdir(), "edge-bench-"));
  const envFile = join(secretsDir, ".dev.vars");
  writeFileSync(
    envFile,
    `DIGIME_PRIVATE_KEY=${JSON.stringify(privatePem.trim())}\nSESSION_SECRET=${randomBytes(32).toString("base64url")}\n`,
    { mode: 0o600 },
  );
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(PORT), "--env-file", envFile];
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const worker = spawn(join(root, "node_modules/.bin/wrangler"), args, {
    cwd: root,
    env,
    stdio: "ignore",
    detached: true,
  });
  const stopWorker = () => {
    try {
      if (worker.pid) process.kill(-worker.pid, "SIGTERM");
    } catch {
      // already gone
    }
  };
  try {
    for (let i = 0; ; i++) {
      if (i > 120) throw new Error("wrangler dev did not start");
      const ok = await fetch(`${WORKER}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const cookie = await signIn();
    const data = new Uint8Array(randomBytes(SIZE));
    const viaWorker = async () => {
      const form = new FormData();
      form.append("file", new Blob([data]), "bench.bin");
      const response = await fetch(`${WORKER}/api/files`, {
        method: "POST",
        body: form,
        headers: { cookie, origin: WORKER },
      });
      if (!response.ok) throw new Error(`${response.status}`);
      await response.arrayBuffer();
    };

    // Direct: the same SDK, in Node, with its own sign-in.
    const sdk = init({
      applicationId: contract.applicationId,
      baseUrl: emulator.baseUrl,
      onboardUrl: emulator.onboardUrl,
    });
    const contractDetails = {
      contractId: contract.contractId,
      privateKey: privatePem,
      redirectUri: contract.redirectUri,
    };
    const started = await sdk.getAuthorizeUrl({ contractDetails, callback: `${WORKER}/auth/error` });
    const back = new URL(
      (await fetch(started.url, { redirect: "manual" })).headers.get("location") as string,
    );
    let token: UserAccessToken = await sdk.exchangeCodeForToken({
      contractDetails,
      authorizationCode: back.searchParams.get("code") as string,
      codeVerifier: started.codeVerifier,
    });
    const postboxId = back.searchParams.get("postboxId") as string;
    const postboxKey = back.searchParams.get("publicKey") as string;
    const direct = async () => {
      const result = await sdk.write({
        contractDetails,
        userAccessToken: token,
        postboxId,
        publicKey: postboxKey,
        data: {
          fileData: data,
          fileName: "bench.bin",
          fileDescriptor: { mimeType: "application/octet-stream", accounts: [{ accountId: "bench" }] },
        },
      });
      token = result.userAccessToken;
    };

    await viaWorker();
    await direct();
    const rows = [];
    for (const concurrency of LEVELS) {
      const w = await measure(concurrency, viaWorker);
      const d = await measure(concurrency, direct);
      rows.push({
        concurrency,
        worker: w,
        direct: d,
        overhead: Number((d.perSecond / w.perSecond).toFixed(2)),
      });
    }
    const bundle = await bundleSize();
    const results = { fileBytes: SIZE, seconds: SECONDS, rows, bundle };
    writeFileSync(join(here, "results.json"), `${JSON.stringify(results, null, 2)}\n`);

    console.log(`64 KiB uploads, ${SECONDS} s per cell (uploads/s, p50 / p99 ms)`);
    console.log("conc | via Worker (wrangler dev)        | direct sdk-core (Node)           | direct/Worker");
    for (const r of rows) {
      const cell = (m: typeof r.worker) =>
        `${String(m.perSecond).padStart(7)}/s ${String(m.p50Ms).padStart(7)} / ${String(m.p99Ms).padStart(7)}${m.failures ? ` (${m.failures} failed)` : ""}`.padEnd(
          32,
        );
      console.log(
        `${String(r.concurrency).padStart(4)} | ${cell(r.worker)} | ${cell(r.direct)} | ${r.overhead}x`,
      );
    }
    console.log(
      `bundle: ${(bundle.bytes / 1024).toFixed(1)} KiB, gzipped ${(bundle.gzipBytes / 1024).toFixed(1)} KiB`,
    );
  } finally {
    stopWorker();
    await emulator.close();
    rmSync(secretsDir, { recursive: true, force: true });
  }
}

await main();
