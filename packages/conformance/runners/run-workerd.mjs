// workerd: vitest with @cloudflare/vitest-plugin runs workerd/conformance.test.ts inside workerd
// (miniflare), which imports the suite and posts its result back to the local server.
import { join } from "node:path";
import { BIN, failure, mainIf, PKG, run, runRuntime, withFailure } from "./lib.mjs";

export function runWorkerd() {
  return runRuntime("workerd", async (server) => {
    const received = server.waitForResult("workerd");
    const out = await run(
      join(BIN, "vitest"),
      ["run", "--config", join(PKG, "workerd", "vitest.config.ts")],
      {
        env: {
          CONFORMANCE_TARGET: JSON.stringify(server.target),
          CONFORMANCE_RESULT_URL: `${server.origin}/__result`,
          WRANGLER_SEND_METRICS: "false",
          CLOUDFLARE_CF_FETCH_ENABLED: "false",
          NO_COLOR: "1",
          CI: "1",
        },
      },
    );
    const timeout = new Promise((resolve) => setTimeout(resolve, 1_000, undefined));
    const result = await Promise.race([received, timeout]);
    const output = `vitest exit ${out.code}\n${out.stdout}\n${out.stderr}`.trim().slice(-4000);
    if (!result)
      return {
        runtime: "workerd",
        passed: 0,
        failed: 1,
        results: [failure("workerd ran the suite", output)],
      };
    // vitest fails exactly when the suite did: any other exit (an error outside the suite) fails too.
    if ((out.code === 0) !== (result.failed === 0))
      return withFailure(result, "workerd: vitest's exit agrees", output);
    return result;
  });
}

await mainIf(import.meta, runWorkerd);
