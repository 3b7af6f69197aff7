import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { checkExample } from "../../shared/example-harness.ts";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..");

test("node: the example authorizes, streams a file from disk and writes a JSON document; both arrive byte for byte", {
  timeout: 90_000,
}, async () => {
  await checkExample({
    runtime: "node",
    command: process.execPath,
    args: (file) => ["index.ts", file],
    cwd: dir,
  });
});
