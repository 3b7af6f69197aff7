/**
 * `pnpm bench`: 64 KiB uploads through the Worker under `wrangler dev`, at concurrency 1, 8 and 32,
 * next to direct sdk-core writes to the same emulator (the Worker's overhead as a ratio); then 4 MiB
 * uploads through the Worker at concurrency 8, plain (`/api/files`: the Worker encrypts) versus
 * sealed (`/api/sealed-files`: the client seals with sdk-core, as a browser would, and the Worker
 * only signs and forwards), with the workerd process's CPU time per upload read from
 * `/proc/<pid>/stat` (sealed bodies are sealed before the clock starts, as they would be on the
 * users' devices; a third row seals in the loop on this machine too); and the deployable bundle's
 * size gzipped. Starts and stops everything itself; prints tables and writes `bench/results.json`.
 * Run after `pnpm build` (it uses sdk-core's and the emulator's dist).
 *
 *   node bench/uploads.ts [--seconds 5] [--big-seconds 8] [--port 8799]
 */
import { execFileSync, spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { startEmulator } from "@digime-edge/emulator";
import { init, seal, type UserAccessToken } from "@digime-edge/sdk-core";
import { runProcess } from "../../../scripts/run-process.mjs";
import { SEALED_HEADERS } from "../src/lib/sealed-envelope.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    "big-seconds": { type: "string", default: "8" },
    port: { type: "string", default: "8799" },
  },
});
const SECONDS = Number(values.seconds);
const BIG_SECONDS = Number(values["big-seconds"]);
const BIG_SIZE = 4 * 1024 * 1024;
const BIG_CONCURRENCY = 8;
const PORT = Number(values.port);
const WORKER = `http://127.0.0.1:${PORT}`;
const SIZE = 64 * 1024;
const LEVELS = [1, 8, 32];
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Runs `task` with `concurrency` workers for `seconds`; answers rate and latency percentiles. */
async function measure(concurrency: number, task: () => Promise<void>, seconds = SECONDS) {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
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
    perSecond: Number((latencies.length / seconds).toFixed(1)),
    p50Ms: Number(percentile(latencies, 50).toFixed(1)),
    p99Ms: Number(percentile(latencies, 99).toFixed(1)),
  };
}

// --- CPU time of the workerd process (Linux /proc) -------------------------------------------------

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** `comm`, parent pid and user+system CPU ticks of a process, from `/proc/<pid>/stat`. */
function procStat(pid: number): { comm: string; ppid: number; ticks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const open = text.indexOf("(");
    const close = text.lastIndexOf(")");
    const rest = text.slice(close + 2).split(" ");
    return {
      comm: text.slice(open + 1, close),
      ppid: Number(rest[1]),
      ticks: Number(rest[11]) + Number(rest[12]),
    };
  } catch {
    return undefined;
  }
}

/**
 * The pids of the `workerd` processes below `root` (wrangler dev's process group): the one that
 * runs the Worker, and the proxy in front of it that listens on the public port (a wrangler dev
 * artefact: no such hop in production), told apart by their command lines.
 */
function workerdProcesses(root: number, port: number): { runtime: number[]; proxy: number[] } {
  const runtime: number[] = [];
  const proxy: number[] = [];
  for (const pid of workerdPids(root)) {
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
    } catch {
      continue;
    }
    (cmdline.includes(`entry=127.0.0.1:${port} `) ? proxy : runtime).push(pid);
  }
  return { runtime, proxy };
}

/** The pids of the `workerd` processes below `root`. */
function workerdPids(root: number): number[] {
  const children = new Map<number, number[]>();
  const names = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = procStat(pid);
    if (!stat) continue;
    names.set(pid, stat.comm);
    children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    if (names.get(pid) === "workerd") found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** CPU seconds (user + system) the given processes have used so far. */
function cpuSeconds(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + (procStat(pid)?.ticks ?? 0), 0) / TICKS_PER_SECOND;
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

/** Runs wrangler with `args`; a non-zero exit is an error carrying what wrangler printed. */
async function run(args: string[]): Promise<void> {
  const out = await runProcess(join(root, "node_modules/.bin/wrangler"), args, {
    cwd: root,
    env,
    timeoutMs: 300_000,
  });
  if (out.code !== 0) {
    throw new Error(
      `wrangler ${args[0]} exited ${out.code}\n--- stdout\n${out.stdout}\n--- stderr\n${out.stderr}`,
    );
  }
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
    // 4 MiB files, plain versus sealed, sent as the typed client sends them from a browser.
    const big = new Blob([new Uint8Array(randomBytes(BIG_SIZE))]);
    const send = async (path: string, body: BodyInit, headers: Record<string, string> = {}) => {
      const response = await fetch(`${WORKER}${path}`, {
        method: "POST",
        body,
        headers: { cookie, origin: WORKER, ...headers },
      });
      if (!response.ok) throw new Error(`${response.status}`);
      await response.arrayBuffer();
    };
    const plainBig = async () => {
      const form = new FormData();
      form.append("file", big, "bench-4m.bin");
      await send("/api/files", form);
    };
    const session = (await (await fetch(`${WORKER}/api/session`, { headers: { cookie } })).json()) as {
      publicKey: string;
      accountId: string;
    };
    // As `uploadSealed` does by default in a browser: sealed into a Blob, then sent with its length.
    const sealOne = async () => {
      const sealed = await seal({
        publicKey: session.publicKey,
        fileData: big,
        fileDescriptor: {
          mimeType: "application/octet-stream",
          accounts: [{ accountId: session.accountId }],
        },
      });
      const body = await new Response(sealed.body).blob();
      const headers = {
        "Content-Type": "application/octet-stream",
        [SEALED_HEADERS.iv]: sealed.iv,
        [SEALED_HEADERS.symmetricalKey]: sealed.symmetricalKey,
        [SEALED_HEADERS.metadata]: sealed.metadata,
        [SEALED_HEADERS.fileName]: "bench-4m.bin",
      };
      return { body, headers };
    };
    // The users' devices seal; here they are sealed before the clock starts, so that the machine's
    // two cores measure the Worker (and the emulator), not the sealing. One per concurrent client.
    const sealStarted = performance.now();
    const pool = [];
    for (let i = 0; i < BIG_CONCURRENCY; i++) pool.push(await sealOne());
    const sealMs = Number(((performance.now() - sealStarted) / BIG_CONCURRENCY).toFixed(1));
    let next = 0;
    const presealedBig = async () => {
      const one = pool[next++ % pool.length] as (typeof pool)[number];
      await send("/api/sealed-files", one.body, one.headers);
    };
    // The same, sealing each file in this process as part of the upload.
    const sealedBig = async () => {
      const one = await sealOne();
      await send("/api/sealed-files", one.body, one.headers);
    };
    const workerd = worker.pid ? workerdProcesses(worker.pid, PORT) : { runtime: [], proxy: [] };
    const perUpload = (seconds: number, uploads: number, measured: boolean) =>
      measured && uploads > 0 ? Number(((seconds * 1000) / uploads).toFixed(1)) : null;
    const bigCell = async (task: () => Promise<void>) => {
      await task(); // warm-up
      const before = { runtime: cpuSeconds(workerd.runtime), proxy: cpuSeconds(workerd.proxy) };
      const m = await measure(BIG_CONCURRENCY, task, BIG_SECONDS);
      const runtime = cpuSeconds(workerd.runtime) - before.runtime;
      const proxy = cpuSeconds(workerd.proxy) - before.proxy;
      return {
        ...m,
        workerCpuSeconds: Number(runtime.toFixed(2)),
        /** CPU ms per upload of the workerd process that runs the Worker (and its Durable Object). */
        cpuMsPerUpload: perUpload(runtime, m.uploads, workerd.runtime.length > 0),
        /** CPU ms per upload of wrangler dev's proxy in front of it. */
        proxyCpuMsPerUpload: perUpload(proxy, m.uploads, workerd.proxy.length > 0),
      };
    };
    const plain = await bigCell(plainBig);
    const sealed = await bigCell(presealedBig);
    const sealedHere = await bigCell(sealedBig);
    const big4 = {
      fileBytes: BIG_SIZE,
      concurrency: BIG_CONCURRENCY,
      seconds: BIG_SECONDS,
      workerdProcesses: { runtime: workerd.runtime.length, proxy: workerd.proxy.length },
      sealMsPerFileInNode: sealMs,
      plain,
      sealed,
      sealedWithSealingInLoop: sealedHere,
      throughputRatio: Number((sealed.perSecond / plain.perSecond).toFixed(2)),
      cpuRatio:
        plain.cpuMsPerUpload && sealed.cpuMsPerUpload !== null
          ? Number((sealed.cpuMsPerUpload / plain.cpuMsPerUpload).toFixed(3))
          : null,
    };

    const bundle = await bundleSize();
    const results = { fileBytes: SIZE, seconds: SECONDS, rows, sealedVersusPlain: big4, bundle };
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
    console.log("");
    console.log(
      `4 MiB uploads through the Worker at concurrency ${BIG_CONCURRENCY}, ${BIG_SECONDS} s each (uploads/s, p50 / p99 ms, CPU per upload: the Worker's workerd process + wrangler dev's proxy)`,
    );
    const bigRow = (name: string, m: typeof plain) =>
      console.log(
        `${name.padEnd(36)} | ${String(m.perSecond).padStart(6)}/s ${String(m.p50Ms).padStart(7)} / ${String(m.p99Ms).padStart(7)} | ${
          m.cpuMsPerUpload === null ? "n/a" : `${m.cpuMsPerUpload} ms`
        }${m.proxyCpuMsPerUpload === null ? "" : ` + ${m.proxyCpuMsPerUpload} ms`}${m.failures ? ` (${m.failures} failed)` : ""}`,
      );
    bigRow("plain  (/api/files: Worker seals)", plain);
    bigRow("sealed (/api/sealed-files)", sealed);
    bigRow("sealed, sealing on this machine too", sealedHere);
    console.log(
      `sealed/plain: ${big4.throughputRatio}x uploads/s; CPU per upload of the Worker's process ${
        big4.cpuRatio === null
          ? "not measured (no workerd process found)"
          : `${big4.cpuRatio}x (${(1 / big4.cpuRatio).toFixed(1)}x less, a ${((1 - big4.cpuRatio) * 100).toFixed(0)}% saving)`
      }`,
    );
    console.log(
      `(sealed bodies are sealed before the clock, as on the users' devices: ${sealMs} ms per 4 MiB file with sdk-core in Node)`,
    );
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
