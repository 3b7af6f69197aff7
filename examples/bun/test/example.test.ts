import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { checkExample } from "../../shared/example-harness.ts";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..");

test("bun: the example authorizes, streams a file from disk and writes a JSON document; both arrive byte for byte", {
  timeout: 90_000,
}, async () => {
  await checkExample({
    runtime: "bun",
    command: join(dir, "node_modules", ".bin", "bun"),
    args: (file) => ["run", "index.ts", file],
    cwd: dir,
    env: { BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0", DO_NOT_TRACK: "1" },
  });
});
