// @ts-check
// Where the demo's parts live and the ports they prefer (scripts/start.mjs and its modules).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

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
/** The interface every part of the demo listens on. */
export const HOST = "127.0.0.1";
