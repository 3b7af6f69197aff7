import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ExampleRun, testExampleScripts } from "../../shared/example-harness.ts";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..");
const script = (name: string): ExampleRun => ({
  runtime: "bun",
  command: join(dir, "node_modules", ".bin", "bun"),
  args: (file) => ["run", name, file],
  cwd: dir,
  env: { BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0", DO_NOT_TRACK: "1" },
});

testExampleScripts(script, { write: "index.ts", pushData: "push-data.ts" });
