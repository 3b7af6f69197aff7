/**
 * The two ways the bench runs the Worker, behind one interface ({@link WorkerHost}):
 *
 * - `miniflare`: the bundle (`wrangler deploy --dry-run`) in workerd through Miniflare, requests sent
 *   with `dispatchFetch`; the inspector is on, for CPU profiles of the Worker's isolate.
 * - `wrangler dev`: as a developer runs it, with wrangler's local proxy (a second workerd process)
 *   in front of the Worker's: a hop that production does not have.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { convertV4MiniflareOptions, type Json, Miniflare, type V4WorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";
// biome-ignore lint/correctness/useImportExtensions: the module is .mjs (its types are in run-process.d.mts)
import { runProcess } from "../../../scripts/run-process.mjs";
import type { SettingName } from "../src/settings.ts";
import { cpuSeconds, workerdPids, wranglerDevProcesses } from "./proc-cpu.ts";

/** The Worker's folder. */
export const WORKER_ROOT = join(import.meta.dirname, "..");
const WRANGLER = join(WORKER_ROOT, "node_modules/.bin/wrangler");
const wranglerEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };

/** The Worker's settings for the bench: vars and secrets (never on a command line). */
export interface WorkerSettings {
  /** Settings that are not secrets (the others take `wrangler.jsonc`'s vars). */
  vars: Partial<Record<SettingName, string>>;
  /** The secrets. */
  secrets: Partial<Record<SettingName, string>>;
}

/** A running Worker. */
export interface WorkerHost {
  /** `miniflare`, `workerd socket` or `wrangler dev`. */
  label: string;
  /** The Worker's own origin when requests must name it (a socket on its own port). */
  origin?: string;
  /** Sends a request to the Worker (`url` on the Worker's origin). */
  fetch(url: string, init?: RequestInit): Promise<Response>;
  /** CPU seconds so far of the workerd process that runs the Worker, and of a proxy in front of it. */
  cpu(): { runtime: number; proxy: number | null };
  /** workerd's inspector port and the Worker's isolate there, when it has one. */
  inspector?: { port: number; target: string };
  /** The pids of the workerd processes that run the Worker. */
  pids: number[];
  stop(): Promise<void>;
}

/** Runs wrangler with `args` in the Worker's folder; a non-zero exit is an error carrying its output. */
export async function wrangler(args: string[]): Promise<void> {
  const out = await runProcess(WRANGLER, args, { cwd: WORKER_ROOT, env: wranglerEnv, timeoutMs: 300_000 });
  if (out.code !== 0) {
    throw new Error(
      `wrangler ${args[0]} exited ${out.code}\n--- stdout\n${out.stdout}\n--- stderr\n${out.stderr}`,
    );
  }
}

/** A free TCP port on 127.0.0.1 (for an inspector). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The Worker's `wrangler.jsonc`, as wrangler reads it. */
function workerConfig() {
  return unstable_readConfig({ config: join(WORKER_ROOT, "wrangler.jsonc") });
}

/**
 * Starts `worker` (named `name`) alone in workerd through Miniflare on 127.0.0.1, with its inspector
 * on; the host sends requests with `dispatchFetch` and counts the CPU of the workerd processes
 * that appeared while it started.
 */
async function bootWorker(
  name: string,
  worker: V4WorkerOptions,
): Promise<{ mf: Miniflare; host: WorkerHost }> {
  const inspectorPort = await freePort();
  const mf = new Miniflare(
    convertV4MiniflareOptions({ host: "127.0.0.1", port: 0, inspectorPort, workers: [{ ...worker, name }] }),
  );
  const before = new Set(workerdPids(process.pid));
  await mf.ready;
  const pids = workerdPids(process.pid).filter((pid) => !before.has(pid));
  const host: WorkerHost = {
    label: name,
    fetch: (url, init) => mf.dispatchFetch(url, init as never) as unknown as Promise<Response>,
    cpu: () => ({ runtime: cpuSeconds(pids), proxy: null }),
    inspector: { port: inspectorPort, target: `core:user:${name}` },
    pids,
    stop: () => mf.dispose(),
  };
  return { mf, host };
}

/**
 * Starts the bundle in `bundleDir` (`index.js`, from `wrangler deploy --dry-run --outdir`) in
 * workerd through Miniflare, with the bindings and compatibility settings of `wrangler.jsonc` as
 * wrangler maps them (`settings` override the vars). Returns two ways in: `dispatchFetch` (through
 * Miniflare's entry worker, in the same workerd process), and a socket of workerd's straight into
 * the Worker (`unsafeDirectSockets`: the nearest to production, where no local hop exists; it
 * shares the first one's state, so a session signed in through one is valid on the other).
 */
export async function startMiniflare(
  bundleDir: string,
  settings: WorkerSettings,
): Promise<[WorkerHost, WorkerHost]> {
  const config = workerConfig();
  // Bindings as wrangler maps them; quiet about the secrets, which come from `settings`.
  const log = process.env.WRANGLER_LOG;
  process.env.WRANGLER_LOG = "error";
  const { workerOptions } = unstable_getMiniflareWorkerOptions(config);
  if (log === undefined) delete process.env.WRANGLER_LOG;
  else process.env.WRANGLER_LOG = log;
  const name = config.name ?? "worker";
  const { mf, host } = await bootWorker(name, {
    ...workerOptions,
    modulesRules: undefined, // the bundle is one module
    rootPath: bundleDir,
    modules: true,
    modulesRoot: bundleDir,
    scriptPath: join(bundleDir, "index.js"),
    bindings: {
      ...(workerOptions.bindings as Record<string, Json>),
      ...settings.vars,
      ...settings.secrets,
    },
    // A socket straight into the Worker, as well as Miniflare's entry (which dispatchFetch uses).
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  });
  const direct = await mf.unsafeGetDirectURL(name);
  return [
    { ...host, label: "miniflare" },
    {
      ...host,
      label: "workerd socket",
      origin: direct.origin,
      fetch: (url, init) => fetch(url, init),
      stop: async () => {},
    },
  ];
}

/**
 * Starts a Worker written in the bench (`script`, one ES module) in workerd through Miniflare, with
 * `vars` as its bindings, the Worker's compatibility date and its inspector on: a baseline that has
 * the same runtime and the same way in (`dispatchFetch`) as the Worker, and none of its code.
 */
export async function startScriptWorker(
  name: string,
  script: string,
  vars: Record<string, string>,
): Promise<WorkerHost> {
  const config = workerConfig();
  const { host } = await bootWorker(name, {
    modules: true,
    script,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    bindings: vars,
  });
  return host;
}

/**
 * Starts `wrangler dev` with the bundle in `bundleDir` on 127.0.0.1:`port` (secrets in a temporary
 * env file in `secretsDir`) and waits for `/healthz`.
 */
export async function startWranglerDev(
  bundleDir: string,
  port: number,
  settings: WorkerSettings,
  secretsDir: string,
): Promise<WorkerHost> {
  const envFile = join(secretsDir, ".dev.vars");
  writeFileSync(
    envFile,
    Object.entries(settings.secrets)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}\n`)
      .join(""),
    { mode: 0o600 },
  );
  // The same bundle as Miniflare's, unbundled: wrangler dev does not rebuild and restart it when
  // someone edits the sources during the run.
  const script = join(bundleDir, "index.js");
  const args = [
    "dev",
    script,
    "--config",
    join(WORKER_ROOT, "wrangler.jsonc"),
    "--no-bundle",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--env-file",
    envFile,
  ];
  for (const [k, v] of Object.entries(settings.vars)) args.push("--var", `${k}:${v}`);
  const child = spawn(WRANGLER, args, {
    cwd: WORKER_ROOT,
    env: wranglerEnv,
    stdio: "ignore",
    detached: true,
  });
  const stop = async () => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
  };
  const origin = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      if (i > 160) throw new Error("wrangler dev did not start");
      const ok = await fetch(`${origin}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const processes = child.pid ? wranglerDevProcesses(child.pid, port) : { runtime: [], proxy: [] };
  return {
    label: "wrangler dev",
    fetch: (url, init) => fetch(url, init),
    cpu: () => ({ runtime: cpuSeconds(processes.runtime), proxy: cpuSeconds(processes.proxy) }),
    pids: processes.runtime,
    stop,
  };
}
