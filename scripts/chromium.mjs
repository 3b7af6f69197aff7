// Launches Debian's Chromium (never a downloaded browser) for the browser tests, with the flags
// this machine needs: no sandbox as root, and nothing that reaches the network on its own.
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

/** Path of the browser: `CHROMIUM_PATH`, or Debian's `/usr/bin/chromium`. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Flags for headless Chromium here (Playwright adds `--headless` and `--user-data-dir` itself). */
export const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/**
 * Starts headless Chromium with a fresh profile in `profileDir`.
 * @param {string} profileDir an empty folder for the profile
 * @param {import("playwright-core").BrowserContextOptions} [options] more context options (viewport, …)
 * @returns {Promise<import("playwright-core").BrowserContext>}
 */
export async function launchChromium(profileDir, options = {}) {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: run scripts/chromium.sh (never a browser download)`);
  }
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_FLAGS,
    timeout: 30_000,
    ...options,
  });
}
