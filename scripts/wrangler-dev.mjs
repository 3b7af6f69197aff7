// @ts-check
// `wrangler dev` for the edge Worker as a managed child: started in its own process group (so that
// stopping it also stops workerd), its output kept, waited for until it responds, and stopped.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { SETTINGS } from "../packages/edge-worker/src/settings.ts";
import { HOST, WORKER_DIR } from "./demo-paths.mjs";
import { pickPort } from "./ports.mjs";

/** The name of every setting the Worker reads (its one list, `packages/edge-worker/src/settings.ts`). */
const WORKER_SETTING_NAMES = new Set(Object.keys(SETTINGS));
const QUIET_WRANGLER = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };

/**
 * @typedef {object} RunningWorker
 * @property {string} url - The Worker's origin, e.g. `http://127.0.0.1:8787`.
 * @property {number} pid - `wrangler dev`'s process id (and process group).
 * @property {Promise<number | null>} exited - Resolves with the exit code when wrangler has ended.
 * @property {() => string} output - Everything wrangler printed so far (the last 64 KiB).
 * @property {() => Promise<void>} stop - Ends wrangler and workerd (its whole process group).
 */

/**
 * Starts `wrangler dev` for the edge Worker in its own process group, with settings from
 * `settingsFile` (given as `--env-file`, so nothing else is read) and, when `assetsDir` is given,
 * that folder served as static assets in front of the Worker.
 *
 * @param {object} options - How to run it.
 * @param {number} options.port - Port on 127.0.0.1.
 * @param {string} options.settingsFile - The dotenv file with every setting.
 * @param {string} [options.assetsDir] - Static files to serve (the built SPA).
 * @param {string} [options.persistTo] - Durable Object storage folder (default: the Worker's `.wrangler/state`).
 * @param {number} [options.inspectorPort] - DevTools inspector port (default: a free one).
 * @param {(line: string) => void} [options.onLine] - Called with each line wrangler prints.
 * @returns {Promise<RunningWorker>} The started process (not yet necessarily responding).
 */
export async function startWorker({ port, settingsFile, assetsDir, persistTo, inspectorPort, onLine }) {
  const wrangler = join(WORKER_DIR, "node_modules", ".bin", "wrangler");
  if (!existsSync(wrangler))
    throw new Error("packages/edge-worker has no node_modules: run `pnpm install` first");
  const args = [
    "dev",
    "--config",
    join(WORKER_DIR, "wrangler.jsonc"),
    "--ip",
    HOST,
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort ?? (await pickPort())),
    "--env-file",
    settingsFile,
    "--show-interactive-dev-session=false",
    ...(assetsDir ? ["--assets", assetsDir] : []),
    ...(persistTo ? ["--persist-to", persistTo] : []),
  ];
  // wrangler also reads the Worker's settings from its own environment: only the file may set them.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !WORKER_SETTING_NAMES.has(name)),
  );
  const child = spawn(wrangler, args, {
    cwd: WORKER_DIR,
    env: { ...env, ...QUIET_WRANGLER, FORCE_COLOR: "0", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const pid = /** @type {number} */ (child.pid);
  let output = "";
  let partial = "";
  const take = (/** @type {Buffer} */ chunk) => {
    const text = chunk.toString("utf8");
    output = (output + text).slice(-65536);
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) onLine?.(line);
  };
  child.stdout.on("data", take);
  child.stderr.on("data", take);
  /** @type {Promise<number | null>} */
  const exited = new Promise((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.once("error", () => resolve(-1));
  });
  // Should this process end without stop() (a crash), take wrangler and workerd with it.
  const killGroup = () => {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {}
  };
  process.on("exit", killGroup);
  let stopping;
  return {
    url: `http://${HOST}:${port}`,
    pid,
    exited,
    output: () => output,
    stop() {
      stopping ??= (async () => {
        try {
          process.kill(-pid, "SIGTERM");
        } catch {
          // already gone
        }
        const deadline = Date.now() + 5000;
        while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
        if (groupAlive(pid)) killGroup();
        while (groupAlive(pid) && Date.now() < deadline + 2000) await sleep(50);
        process.off("exit", killGroup);
      })();
      return stopping;
    },
  };
}

/** Whether any process of the group `pid` is still alive. */
function groupAlive(/** @type {number} */ pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the Worker responds to `GET /api/session` with 200 (its settings are valid) and, when
 * `withAssets`, `GET /` with the SPA's page.
 *
 * @param {RunningWorker} worker - The started Worker.
 * @param {{ timeoutMs?: number, withAssets?: boolean }} [options] - How long to wait (default 60 s).
 * @returns {Promise<void>}
 * @throws {Error} With wrangler's output when it ended or did not respond in time.
 */
export async function waitForWorker(worker, { timeoutMs = 60_000, withAssets = true } = {}) {
  const deadline = Date.now() + timeoutMs;
  let ended = false;
  void worker.exited.then(() => {
    ended = true;
  });
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (ended) throw new Error(`wrangler dev ended before it answered:\n${worker.output()}`);
    try {
      const session = await fetch(`${worker.url}/api/session`, { signal: AbortSignal.timeout(5000) });
      const body = await session.text();
      last = `GET /api/session: ${session.status} ${body.slice(0, 300)}`;
      if (session.status === 500 && body.includes("CONFIG_INVALID")) {
        throw new Error(`the Worker refused its settings: ${body}`);
      }
      if (session.ok) {
        if (!withAssets) return;
        const page = await fetch(`${worker.url}/`, { signal: AbortSignal.timeout(5000) });
        const html = await page.text();
        if (page.ok && html.includes("<html")) return;
        last = `GET /: ${page.status} ${html.slice(0, 200)}`;
      }
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("the Worker refused")) throw error;
    }
    await sleep(250);
  }
  throw new Error(`wrangler dev did not answer within ${timeoutMs} ms (${last}):\n${worker.output()}`);
}
