import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ExampleRun, testExampleScripts } from "../../shared/example-harness.ts";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..");
const script = (name: string): ExampleRun => ({
  runtime: "node",
  command: process.execPath,
  args: (file) => [name, file],
  cwd: dir,
});

testExampleScripts(script, { write: "index.ts", pushData: "push-data.ts" });
