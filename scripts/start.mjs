#!/usr/bin/env node
// @ts-check
// The demo (`pnpm start`, after `pnpm build`): the digi.me emulator, the edge Worker under
// `wrangler dev` serving the example SPA as static assets, and one URL to open. Ctrl-C stops it all.
// The dev contract is a postbox contract (`write`, official SDK up to 8) unless `--import` or
// `DIGIME_WRITE_API=import` asks for an import contract (`pushData`, official SDK 9 on).
//
// Its parts, by concern: paths and ports (`demo-paths.mjs`, `ports.mjs`), the Worker's settings
// and `.dev.vars` (`worker-settings.mjs`), the emulator (`demo-emulator.mjs`), `wrangler dev`
// (`wrangler-dev.mjs`) and the whole stack (`demo.mjs`). They are re-exported here for the SPA's
// browser test, which starts the same stack on other ports:
//   const demo = await startDemo({ workerPort: 0, emulatorPort: 0, dataDir, stateDir });
//   ...; await demo.stop();
import { pathToFileURL } from "node:url";
import { startDemo } from "./demo.mjs";
import { writeApiOf } from "./worker-settings.mjs";

export { buildSpa, startDemo } from "./demo.mjs";
export { loadEmulator, startDemoEmulator } from "./demo-emulator.mjs";
export * from "./demo-paths.mjs";
export { isPortFree, pickPort } from "./ports.mjs";
export * from "./worker-settings.mjs";
export { startWorker, waitForWorker } from "./wrangler-dev.mjs";

/** @typedef {import("./demo.mjs").Demo} Demo */

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
