// @ts-check
// The demo's digi.me emulator, run in this process from its build (`packages/emulator/dist`).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { EMULATOR_DATA_DIR, HOST, REPO } from "./demo-paths.mjs";
import { DEFAULT_WRITE_API } from "./worker-settings.mjs";

/** @typedef {import("./worker-settings.mjs").WriteApi} WriteApi */

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
