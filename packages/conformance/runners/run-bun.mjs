// Bun: `bun` runs the .ts entry directly; @digime-edge/sdk-core resolves by name from node_modules.
import { join } from "node:path";
import { BIN, mainIf, PKG, parseResult, run, runRuntime } from "./lib.mjs";

export function runBun() {
  return runRuntime("bun", async (server) => {
    const out = await run(
      join(BIN, "bun"),
      ["run", join(PKG, "src", "entry-cli.ts"), "bun", JSON.stringify(server.target)],
      {
        env: { BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0", DO_NOT_TRACK: "1" },
      },
    );
    return parseResult("bun", out);
  });
}

await mainIf(import.meta, runBun);
