#!/usr/bin/env node
// Runs every workspace package's `test` script one after another (as `pnpm -r test` would), passes
// their output through, and ends with one line that adds up what the runners reported:
// `total: N passed, N failed`. The exit code is the recursive run's.
import { spawn } from "node:child_process";

const child = spawn("pnpm", ["-r", "--workspace-concurrency=1", "test"], {
  stdio: ["ignore", "pipe", "pipe"],
  env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? "0" },
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips terminal colour codes
const ansi = /\u001b\[[0-9;]*m/g;
const counts = { passed: 0, failed: 0 };
const patterns = [
  // vitest: "Tests  3 failed | 40 passed (43)"
  [
    /^\s*Tests\s+(.*)\(\d+\)\s*$/,
    (m) => ({ passed: num(m[1], /(\d+) passed/), failed: num(m[1], /(\d+) failed/) }),
  ],
  // node --test: "ℹ pass 6" / "ℹ fail 0"
  [/^ℹ pass (\d+)\s*$/, (m) => ({ passed: Number(m[1]), failed: 0 })],
  [/^ℹ fail (\d+)\s*$/, (m) => ({ passed: 0, failed: Number(m[1]) })],
  // the conformance runners and pack-check: "conformance node: 40 passed, 0 failed (0.8 s)"
  [
    /^(?:conformance \w+|pack-check [\w-]+): (\d+) passed, (\d+) failed/,
    (m) => ({ passed: +m[1], failed: +m[2] }),
  ],
];
function num(text, re) {
  const m = text.match(re);
  return m ? Number(m[1]) : 0;
}

function tally(line) {
  const plain = line.replace(ansi, "");
  for (const [re, read] of patterns) {
    const m = plain.match(re);
    if (m) {
      const { passed, failed } = read(m);
      counts.passed += passed;
      counts.failed += failed;
      return;
    }
  }
}

for (const [stream, out] of [
  [child.stdout, process.stdout],
  [child.stderr, process.stderr],
]) {
  let rest = "";
  stream.on("data", (chunk) => {
    out.write(chunk);
    const lines = (rest + chunk.toString("utf8")).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) tally(line);
  });
  stream.on("end", () => tally(rest));
}

const forward = (signal) => child.kill(signal);
process.on("SIGINT", forward);
process.on("SIGTERM", forward);

child.on("close", (code, signal) => {
  const failed = code === 0 ? counts.failed : Math.max(counts.failed, 1);
  console.log(`\ntotal: ${counts.passed} passed, ${failed} failed`);
  process.exit(code ?? (signal ? 1 : 0));
});
