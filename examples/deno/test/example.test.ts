import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { checkPushDataExample, checkWriteExample, type ExampleRun } from "../../shared/example-harness.ts";

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

test("deno: the write script authorizes, streams a file from disk and writes a JSON document; both arrive byte for byte", {
  timeout: 90_000,
}, async () => {
  await checkWriteExample(script("main.ts"));
});

test("deno: the pushData script signs in to an import contract, pushes a file from disk as a stream and a JSON document (both arrive byte for byte) and lists the accounts", {
  timeout: 90_000,
}, async () => {
  await checkPushDataExample(script("push-data.ts"));
});
