// @ts-check
// The demo Worker's settings: the write API asked for, every setting of the Worker's one list
// (`packages/edge-worker/src/settings.ts`) for an emulator's dev contract, and the `.dev.vars`
// file `wrangler dev` reads them from.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { SETTINGS } from "../packages/edge-worker/src/settings.ts";

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
