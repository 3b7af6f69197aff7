#!/usr/bin/env node
// @ts-check
// The demo (`pnpm start`, after `pnpm build`): the digi.me emulator, the edge Worker under
// `wrangler dev` serving the example SPA as static assets, and one URL to open. Ctrl-C stops it all.
// The dev contract is a postbox contract (`write`, official SDK up to 8) unless `--import` or
// `DIGIME_WRITE_API=import` asks for an import contract (`pushData`, official SDK 9 on).
//
// Its parts are exported for the SPA's browser test, which starts the same stack on other ports:
//   const demo = await startDemo({ workerPort: 0, emulatorPort: 0, dataDir, stateDir });
//   ...; await demo.stop();
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { SETTINGS } from "../packages/edge-worker/src/settings.ts";
import { runProcess } from "./run-process.mjs";

/** The repository's root folder. */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The example SPA's folder. */
export const SPA_DIR = join(REPO, "examples", "spa");
/** Where Vite builds the SPA (served by the demo's Worker as static assets). */
export const SPA_DIST = join(SPA_DIR, "dist");
/** The edge Worker's folder (its `wrangler.jsonc`). */
export const WORKER_DIR = join(REPO, "packages", "edge-worker");
/** The demo's emulator data (SQLite, library files, the dev contract and its key); git-ignored. */
export const EMULATOR_DATA_DIR = join(REPO, "packages", "emulator", ".data");
/** The Worker's local settings for the demo (secrets included); git-ignored. */
export const WORKER_SETTINGS_FILE = join(WORKER_DIR, ".dev.vars");
/** The port the demo's Worker prefers; it is in the dev contract's redirect URI. */
export const DEFAULT_WORKER_PORT = 8787;
/** The port the demo's emulator prefers. */
export const DEFAULT_EMULATOR_PORT = 8788;
/** Origins of `vite dev` (examples/spa), allowed to call the demo's Worker from another origin. */
export const VITE_DEV_ORIGINS = ["http://127.0.0.1:5173", "http://localhost:5173"];
/**
 * The write APIs a dev contract can use: `postbox` (sealed files, `write`) or `import` (plain bytes
 * over TLS, `pushData`). The Worker's `DIGIME_WRITE_API` takes the same values.
 *
 * @typedef {"postbox" | "import"} WriteApi
 */
/** @type {readonly WriteApi[]} */
export const WRITE_APIS = ["postbox", "import"];
/** The demo's write API when nothing says otherwise: the Worker's default. */
export const DEFAULT_WRITE_API = SETTINGS.DIGIME_WRITE_API.default;

const HOST = "127.0.0.1";
/** The name of every setting the Worker reads (its one list, `packages/edge-worker/src/settings.ts`). */
const WORKER_SETTING_NAMES = new Set(Object.keys(SETTINGS));
const QUIET_WRANGLER = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };

/**
 * Answers whether a TCP port is free on `host`.
 *
 * @param {number} port - The port to try.
 * @param {string} [host] - The interface (default 127.0.0.1).
 * @returns {Promise<boolean>} True when something could listen there.
 */
export function isPortFree(port, host = HOST) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * Picks a port: `preferred` when it is free, else one the system hands out.
 *
 * @param {number} [preferred] - The port wanted; 0 for any free one.
 * @param {string} [host] - The interface (default 127.0.0.1).
 * @returns {Promise<number>} A port that was free a moment ago.
 */
export async function pickPort(preferred = 0, host = HOST) {
  if (preferred > 0 && (await isPortFree(preferred, host))) return preferred;
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

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
 * Loads the built emulator (`packages/emulator/dist`).
 *
 * @returns {Promise<typeof import("../packages/emulator/dist/index.js")>} The emulator's module.
 */
export async function loadEmulator() {
  const entry = join(REPO, "packages", "emulator", "dist", "index.js");
  if (!existsSync(entry)) throw new Error("the emulator is not built: run `pnpm build` first");
  return import(pathToFileURL(entry).href);
}

/**
 * Starts the emulator in this process with its dev contract, which is created with a fresh RSA
 * key pair on first run (in `dataDir`, git-ignored) and found again afterwards. The write API is
 * always given, so a contract stored as the other kind is switched (its key and ids stay).
 *
 * @param {{ port?: number, dataDir?: string, autoApprove?: boolean, redirectUri: string, writeApi?: WriteApi }} options -
 *   Port (0 for any), data folder, whether consent is given without the page, the redirect URI
 *   to register on the dev contract (the Worker's `/auth/callback`), and its write API
 *   (default `postbox`).
 * @returns {Promise<import("../packages/emulator/dist/index.js").RunningEmulator>} The running emulator.
 */
export async function startDemoEmulator({
  port = 0,
  dataDir = EMULATOR_DATA_DIR,
  autoApprove = false,
  redirectUri,
  writeApi = DEFAULT_WRITE_API,
}) {
  const { startEmulator } = await loadEmulator();
  return startEmulator({ port, host: HOST, dataDir, autoApprove, devContract: { redirectUri, writeApi } });
}

/**
 * The Worker's settings for talking to an emulator with its dev contract: every setting of the
 * Worker's list, at its default unless the emulator decides it; `DIGIME_WRITE_API` is the dev
 * contract's write API.
 *
 * @param {object} options - What to point the Worker at.
 * @param {import("../packages/emulator/dist/index.js").RunningEmulator} options.emulator - The emulator (with `devContract`).
 * @param {string} options.workerUrl - The Worker's own origin.
 * @param {string} [options.sessionSecret] - Cookie signing key; a fresh random one by default.
 * @param {string[]} [options.allowedOrigins] - Other app origins that may call the Worker.
 * @returns {Record<string, string>} Every setting the Worker reads, by name.
 */
export function workerSettings({ emulator, workerUrl, sessionSecret, allowedOrigins = VITE_DEV_ORIGINS }) {
  const dev = emulator.devContract;
  if (!dev) throw new Error("the emulator was started without its dev contract");
  /** @type {Record<string, string>} */
  const defaults = {};
  for (const [name, setting] of Object.entries(SETTINGS)) {
    if ("default" in setting) defaults[name] = setting.default;
  }
  return {
    ...defaults,
    DIGIME_APPLICATION_ID: dev.contract.applicationId,
    DIGIME_CONTRACT_ID: dev.contract.contractId,
    DIGIME_PRIVATE_KEY: dev.privateKey.trim(),
    DIGIME_REDIRECT_URI: `${workerUrl}/auth/callback`,
    DIGIME_BASE_URL: emulator.baseUrl,
    DIGIME_ONBOARD_URL: emulator.onboardUrl,
    DIGIME_WRITE_API: dev.contract.writeApi ?? DEFAULT_WRITE_API,
    SESSION_SECRET: sessionSecret ?? randomBytes(32).toString("base64url"),
    ALLOWED_ORIGINS: allowedOrigins.join(","),
  };
}

/**
 * Writes settings as a dotenv file that `wrangler dev` reads (`.dev.vars` form): values in double
 * quotes, newlines as `\n`. Mode 0600: it holds the contract's private key.
 *
 * @param {string} file - Where to write.
 * @param {Record<string, string>} settings - The settings.
 * @returns {Promise<void>}
 */
export async function writeWorkerSettings(file, settings) {
  const lines = Object.entries(settings).map(([key, value]) => {
    // dotenv turns `\n` back into newlines inside double quotes, and unescapes nothing else.
    if (/["\\]/.test(value)) throw new TypeError(`${key} cannot hold a double quote or a backslash`);
    return `${key}="${value.replace(/\r?\n/g, "\\n")}"`;
  });
  const header =
    "# Written by scripts/start.mjs for `wrangler dev` against the local emulator. Do not commit.";
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${header}\n${lines.join("\n")}\n`, { mode: 0o600 });
}

/**
 * The `SESSION_SECRET` of an existing settings file, so that sign-ins survive a restart.
 *
 * @param {string} file - A dotenv file.
 * @returns {string | undefined} The secret when there is a usable one (32+ characters).
 */
export function readSessionSecret(file) {
  if (!existsSync(file)) return undefined;
  const match = /^SESSION_SECRET="?([^"\n]{32,})"?\s*$/m.exec(readFileSync(file, "utf8"));
  return match?.[1];
}

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
 * @returns {Promise<RunningWorker>} The started process (not yet necessarily answering).
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
 * Waits until the Worker answers `GET /api/session` with 200 (its settings are valid) and, when
 * `withAssets`, `GET /` with the SPA's page.
 *
 * @param {RunningWorker} worker - The started Worker.
 * @param {{ timeoutMs?: number, withAssets?: boolean }} [options] - How long to wait (default 60 s).
 * @returns {Promise<void>}
 * @throws {Error} With wrangler's output when it ended or did not answer in time.
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
 * writes the Worker's settings, starts `wrangler dev` serving the SPA, and waits until both answer.
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

/**
 * The write API `node scripts/start.mjs` is asked for: `--import` or `--postbox`, else the
 * environment's `DIGIME_WRITE_API`, else `postbox`.
 *
 * @param {string[]} args - The command's arguments.
 * @param {Record<string, string | undefined>} env - The environment.
 * @returns {WriteApi} The write API.
 * @throws {TypeError} For an unknown argument or value.
 */
export function writeApiOf(args, env) {
  const flags = args.filter((arg) => arg !== "--");
  const unknown = flags.filter((arg) => arg !== "--import" && arg !== "--postbox");
  if (unknown.length > 0 || flags.length > 1) {
    throw new TypeError(`usage: ./dev start [--postbox | --import] (not ${flags.join(" ")})`);
  }
  if (flags[0]) return flags[0] === "--import" ? "import" : "postbox";
  const value = env.DIGIME_WRITE_API || DEFAULT_WRITE_API;
  if (!(/** @type {readonly string[]} */ (WRITE_APIS).includes(value))) {
    throw new TypeError(`DIGIME_WRITE_API is ${WRITE_APIS.join(" or ")}, not ${value}`);
  }
  return /** @type {WriteApi} */ (value);
}

/** `node scripts/start.mjs [--postbox | --import]`: the demo, until Ctrl-C. */
async function main() {
  const dim = (/** @type {string} */ s) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[22m` : s);
  const bold = (/** @type {string} */ s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[22m` : s);
  const log = (/** @type {string} */ message) => console.log(dim(`› ${message}`));
  let ready = false;
  // wrangler's request lines are useful once the demo runs; its start-up banner is noise.
  const onWorkerLine = (/** @type {string} */ line) => {
    if (ready && line.trim() && !line.startsWith("⎔")) console.log(dim(`  worker │ ${line}`));
  };
  /** @type {Demo | undefined} */
  let demo;
  let stopping = false;
  const shutdown = async (/** @type {string} */ signal) => {
    if (stopping) {
      console.log("stopping at once");
      process.exit(130);
    }
    stopping = true;
    console.log(`\n${signal === "SIGINT" ? "Ctrl-C" : signal}: stopping the Worker and the emulator …`);
    await demo?.stop();
    console.log("stopped.");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  let writeApi;
  try {
    writeApi = writeApiOf(process.argv.slice(2), process.env);
    demo = await startDemo({ log, onWorkerLine, writeApi });
  } catch (error) {
    console.error(`\nThe demo could not start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  if (stopping) return;
  ready = true;
  void demo.worker.exited.then((code) => {
    if (stopping) return;
    console.error(`\nwrangler dev ended (${code}):\n${demo?.worker.output().slice(-4000)}`);
    void demo?.emulator.close().then(() => process.exit(1));
  });
  console.log(`
  ${bold("digi.me edge demo is running.")}

  Open  ${bold(demo.url)}

  ${
    writeApi === "import"
      ? "Import contract (pushData): digi.me receives each file over TLS; no sealing in the browser."
      : "Postbox contract (write): files can be sealed in the browser. `./dev start --import` for pushData."
  }

  ${dim(`Emulator library (what arrived, decrypted): ${demo.libraryUrl}`)}
  ${dim("Ctrl-C stops everything.")}
`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
