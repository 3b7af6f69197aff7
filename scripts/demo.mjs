// @ts-check
// The whole demo stack: the SPA built, the emulator with its dev contract, the Worker's settings
// written, and `wrangler dev` serving the SPA; stopped again as a whole.
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { startDemoEmulator } from "./demo-emulator.mjs";
import {
  DEFAULT_EMULATOR_PORT,
  DEFAULT_WORKER_PORT,
  EMULATOR_DATA_DIR,
  HOST,
  REPO,
  SPA_DIR,
  SPA_DIST,
  WORKER_SETTINGS_FILE,
} from "./demo-paths.mjs";
import { pickPort } from "./ports.mjs";
import { runProcess } from "./run-process.mjs";
import {
  DEFAULT_WRITE_API,
  readSessionSecret,
  workerSettings,
  writeWorkerSettings,
} from "./worker-settings.mjs";
import { startWorker, waitForWorker } from "./wrangler-dev.mjs";

/** @typedef {import("./worker-settings.mjs").WriteApi} WriteApi */
/** @typedef {import("./wrangler-dev.mjs").RunningWorker} RunningWorker */

/**
 * Builds the example SPA with Vite, by default into `examples/spa/dist` for the demo's Worker (same
 * origin: no `VITE_WORKER_URL`).
 *
 * @param {object} [options] - Where to build, and for which Worker.
 * @param {string} [options.outDir] - Another output folder (emptied first) instead of `examples/spa/dist`.
 * @param {string} [options.workerUrl] - `VITE_WORKER_URL`: the Worker's origin, for an app served elsewhere.
 * @returns {Promise<void>}
 * @throws {Error} With Vite's output when it failed.
 */
export async function buildSpa({ outDir, workerUrl = "" } = {}) {
  const vite = join(SPA_DIR, "node_modules", ".bin", "vite");
  if (!existsSync(vite)) throw new Error("examples/spa has no node_modules: run `pnpm install` first");
  const args = ["build", ...(outDir ? ["--outDir", outDir, "--emptyOutDir"] : []), "--logLevel", "warn"];
  const { code, stdout, stderr } = await runProcess(vite, args, {
    cwd: SPA_DIR,
    env: { ...process.env, VITE_WORKER_URL: workerUrl },
    timeoutMs: 5 * 60_000,
  });
  if (code !== 0) throw new Error(`vite ${args.join(" ")} failed (${code}):\n${stdout}${stderr}`);
}

/**
 * @typedef {object} Demo
 * @property {string} url - The page to open (the Worker's origin, serving the SPA).
 * @property {string} libraryUrl - The emulator's library, where delivered files can be seen.
 * @property {import("../packages/emulator/dist/index.js").RunningEmulator} emulator - The running emulator.
 * @property {RunningWorker} worker - The running Worker.
 * @property {() => Promise<void>} stop - Stops the Worker and the emulator.
 */

/**
 * Starts the whole demo: builds the SPA, starts the emulator (dev contract created on first run),
 * writes the Worker's settings, starts `wrangler dev` serving the SPA, and waits until both respond.
 * Whatever it started is stopped again if a later step fails.
 *
 * @param {object} [options] - Where things go; the defaults are the demo's.
 * @param {number} [options.workerPort] - Preferred Worker port (default 8787; 0 for any free one).
 * @param {number} [options.emulatorPort] - Preferred emulator port (default 8788; 0 for any free one).
 * @param {string} [options.dataDir] - Emulator data (default `packages/emulator/.data`).
 * @param {string} [options.settingsFile] - The Worker's settings file (default `packages/edge-worker/.dev.vars`).
 * @param {string} [options.persistTo] - The Worker's Durable Object storage (default its `.wrangler/state`).
 * @param {boolean} [options.autoApprove] - Give consent without the page (default false: a person clicks Allow).
 * @param {WriteApi} [options.writeApi] - The dev contract's write API, and so the Worker's (default `postbox`).
 * @param {boolean} [options.build] - Build the SPA first (default true).
 * @param {boolean} [options.keepSessionSecret] - Reuse the settings file's `SESSION_SECRET` (default true).
 * @param {Record<string, string>} [options.settings] - Worker settings to use instead of the demo's (e.g. `MAX_UPLOAD_BYTES`).
 * @param {(line: string) => void} [options.onWorkerLine] - Each line `wrangler dev` prints.
 * @param {(message: string) => void} [options.log] - Progress messages.
 * @returns {Promise<Demo>} The running demo.
 */
export async function startDemo({
  workerPort = DEFAULT_WORKER_PORT,
  emulatorPort = DEFAULT_EMULATOR_PORT,
  dataDir = EMULATOR_DATA_DIR,
  settingsFile = WORKER_SETTINGS_FILE,
  persistTo,
  autoApprove = false,
  writeApi = DEFAULT_WRITE_API,
  build = true,
  keepSessionSecret = true,
  settings = {},
  onWorkerLine,
  log = () => {},
} = {}) {
  if (build) {
    log("building the SPA (examples/spa) …");
    await buildSpa();
  }
  if (!existsSync(join(SPA_DIST, "index.html")))
    throw new Error("examples/spa/dist is missing: build the SPA");
  const wPort = await pickPort(workerPort);
  if (workerPort > 0 && wPort !== workerPort) log(`port ${workerPort} is taken; the Worker uses ${wPort}`);
  const workerUrl = `http://${HOST}:${wPort}`;
  log(`starting the digi.me emulator (dev contract: ${writeApi} API) …`);
  const emulator = await startDemoEmulator({
    port: await pickPort(emulatorPort),
    dataDir,
    autoApprove,
    redirectUri: `${workerUrl}/auth/callback`,
    writeApi,
  });
  /** @type {RunningWorker | undefined} */
  let worker;
  const stop = async () => {
    await worker?.stop();
    await emulator.close();
  };
  try {
    if (emulator.devContract?.created)
      log(`created a dev contract with a fresh key pair in ${relative(REPO, dataDir)}/`);
    const sessionSecret = keepSessionSecret ? readSessionSecret(settingsFile) : undefined;
    await writeWorkerSettings(settingsFile, {
      ...workerSettings({ emulator, workerUrl, sessionSecret }),
      ...settings,
    });
    log("starting the edge Worker (wrangler dev) …");
    worker = await startWorker({
      port: wPort,
      settingsFile,
      assetsDir: SPA_DIST,
      persistTo,
      onLine: onWorkerLine,
    });
    await waitForWorker(worker);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `${workerUrl}/`, libraryUrl: emulator.libraryUrl, emulator, worker, stop };
}
