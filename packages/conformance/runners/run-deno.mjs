// Deno: `deno run` on the .ts entry with the least permissions: network to 127.0.0.1 only, reads
// inside the repo only (the entry, the vectors, node_modules). @digime-edge/sdk-core resolves by
// name through package.json and node_modules (`--node-modules-dir=manual`), as in a Deno project
// that depends on the npm package.
import { join } from "node:path";
import { BIN, mainIf, PKG, parseResult, REPO, run, runRuntime } from "./lib.mjs";

export function runDeno() {
  return runRuntime("deno", async (server) => {
    const out = await run(
      join(BIN, "deno"),
      [
        "run",
        "--allow-net=127.0.0.1",
        `--allow-read=${REPO}`,
        "--node-modules-dir=manual",
        "--no-lock",
        "--no-prompt",
        join(PKG, "src", "entry-cli.ts"),
        "deno",
        JSON.stringify(server.target),
      ],
      { env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" } },
    );
    return parseResult("deno", out);
  });
}

await mainIf(import.meta, runDeno);
