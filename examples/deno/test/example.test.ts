import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ExampleRun, testExampleScripts } from "../../shared/example-harness.ts";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..");
// As `pnpm start` runs it: network to 127.0.0.1 only; the SDK resolved from node_modules by name.
const script = (name: string): ExampleRun => ({
  runtime: "deno",
  command: join(dir, "node_modules", ".bin", "deno"),
  args: (file) => [
    "run",
    "--allow-net=127.0.0.1",
    "--allow-read",
    "--allow-env",
    "--node-modules-dir=manual",
    "--no-lock",
    "--no-prompt",
    name,
    file,
  ],
  cwd: dir,
  env: { DENO_NO_UPDATE_CHECK: "1" },
});

testExampleScripts(script, { write: "main.ts", pushData: "push-data.ts" });
