// Headless Chromium (Debian's /usr/bin/chromium, never a downloaded browser): esbuild bundles the
// suite for the browser (resolving @digime-edge/sdk-core by name through its `exports`, vectors
// inlined), the local server serves it from 127.0.0.1 on the API's own origin, and playwright-core
// opens the page and reads the result. Browsers cannot stream request bodies over HTTP/1.1, so the
// stream write is expected as a Blob (Content-Length) here.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { launchChromium } from "../../../scripts/chromium.mjs";
import { mainIf, PKG, runRuntime, withFailure } from "./lib.mjs";

/** The suite as one browser script (ESM). Fails on any `node:` import, which a browser lacks. */
export async function bundleForBrowser() {
  const out = await build({
    entryPoints: [join(PKG, "src", "entry-browser.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    logLevel: "silent",
  });
  return out.outputFiles[0].text;
}

/** Chromium's console line for an HTTP error status it got (not for a failed request). */
const ANSWERED_ERROR_STATUS = /^Failed to load resource: the server responded with a status of \d{3}\b/;

const PAGE = `<!doctype html><meta charset="utf-8"><title>sdk-core conformance</title>
<script type="module" src="/conformance/suite.js"></script>`;

export function runChromium() {
  return runRuntime(
    "chromium",
    async (server) => {
      server.serve("/conformance/suite.js", await bundleForBrowser(), "text/javascript");
      server.serve("/conformance/", PAGE, "text/html; charset=utf-8");
      const profile = await mkdtemp(join(tmpdir(), "conformance-chromium-"));
      let context;
      try {
        context = await launchChromium(profile);
        const page = context.pages()[0] ?? (await context.newPage());
        const problems = [];
        page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
        page.on("console", (msg) => {
          // The browser logs every error status it gets; the suite's refusal cases ask for them.
          if (msg.type() === "error" && !ANSWERED_ERROR_STATUS.test(msg.text()))
            problems.push(`console: ${msg.text()}`);
        });
        await page.goto(`${server.origin}/conformance/#${encodeURIComponent(JSON.stringify(server.target))}`);
        await page.waitForFunction(() => globalThis.__conformance || globalThis.__conformanceError, null, {
          timeout: 120_000,
        });
        const { result, error } = await page.evaluate(() => ({
          result: globalThis.__conformance,
          error: globalThis.__conformanceError,
        }));
        if (error) throw new Error(`${error}\n${problems.join("\n")}`);
        // A page error or a console error fails the run, even when every case passed.
        return problems.length === 0
          ? result
          : withFailure(result, "chromium: no page or console error", problems.join("\n"));
      } finally {
        await context?.close().catch(() => {});
        await rm(profile, { recursive: true, force: true });
      }
    },
    { streams: false },
  );
}

await mainIf(import.meta, runChromium);
