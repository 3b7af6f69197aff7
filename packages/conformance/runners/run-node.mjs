// Node: runs the suite in a child `node` process (type stripping runs the .ts entry as is), which
// resolves @digime-edge/sdk-core by name from node_modules, like any user of the package.
import { join } from "node:path";
import { mainIf, PKG, parseResult, run, runRuntime } from "./lib.mjs";

export function runNode() {
  return runRuntime("node", async (server) => {
    const out = await run(process.execPath, [
      "--disable-warning=ExperimentalWarning",
      join(PKG, "src", "entry-cli.ts"),
      "node",
      JSON.stringify(server.target),
    ]);
    return parseResult("node", out);
  });
}

await mainIf(import.meta, runNode);
