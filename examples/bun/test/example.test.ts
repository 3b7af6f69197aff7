import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { checkPushDataExample, checkWriteExample, type ExampleRun } from "../../shared/example-harness.ts";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..");
const script = (name: string): ExampleRun => ({
  runtime: "bun",
  command: join(dir, "node_modules", ".bin", "bun"),
  args: (file) => ["run", name, file],
  cwd: dir,
  env: { BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0", DO_NOT_TRACK: "1" },
});

test("bun: the write script authorizes, streams a file from disk and writes a JSON document; both arrive byte for byte", {
  timeout: 90_000,
}, async () => {
  await checkWriteExample(script("index.ts"));
});

test("bun: the pushData script signs in to an import contract, pushes a file from disk as a stream and a JSON document (both arrive byte for byte) and lists the accounts", {
  timeout: 90_000,
}, async () => {
  await checkPushDataExample(script("push-data.ts"));
});
