import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { checkExample } from "../../shared/example-harness.ts";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..");

test("deno: the example authorizes, streams a file from disk and writes a JSON document; both arrive byte for byte", {
  timeout: 90_000,
}, async () => {
  await checkExample({
    runtime: "deno",
    command: join(dir, "node_modules", ".bin", "deno"),
    // As `pnpm start` runs it: network to 127.0.0.1 only; the SDK resolved from node_modules by name.
    args: (file) => [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-env",
      "--node-modules-dir=manual",
      "--no-lock",
      "--no-prompt",
      "main.ts",
      file,
    ],
    cwd: dir,
    env: { DENO_NO_UPDATE_CHECK: "1" },
  });
});
