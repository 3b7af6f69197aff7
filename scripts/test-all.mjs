#!/usr/bin/env node
// Runs the scripts' own tests, then every workspace package's `test` script, one after another,
// passes their output through, and ends with a line per package and one that adds them up:
// `total: N passed, N failed`.
// - Every package runs, even after one failed; the exit code is 1 when any did.
// - Each package states the fewest tests it expects (`minTests` in its package.json): a runner
//   that ran fewer (an empty glob, a filter that matches nothing) fails its package.
// - Skipped tests are counted and fail their package: none are left behind.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";

const root = new URL("..", import.meta.url).pathname;

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips terminal colour codes
const ansi = /\u001b\[[0-9;]*m/g;
const patterns = [
  // vitest: "Tests  3 failed | 40 passed | 2 skipped (45)"
  [
    /^\s*Tests\s+(.*)\(\d+\)\s*$/,
    (m) => ({
      passed: num(m[1], /(\d+) passed/),
      failed: num(m[1], /(\d+) failed/),
      skipped: num(m[1], /(\d+) (?:skipped|todo)/),
    }),
  ],
  // node --test: "ℹ pass 6" / "ℹ fail 0" / "ℹ skipped 0" / "ℹ todo 0"
  [/^ℹ pass (\d+)\s*$/, (m) => ({ passed: Number(m[1]) })],
  [/^ℹ fail (\d+)\s*$/, (m) => ({ failed: Number(m[1]) })],
  [/^ℹ (?:skipped|todo) (\d+)\s*$/, (m) => ({ skipped: Number(m[1]) })],
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

/** The workspace packages that have a `test` script, packages before examples. */
function workspacePackages() {
  const found = [];
  for (const folder of ["packages", "examples"]) {
    for (const entry of readdirSync(join(root, folder), { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (!entry.isDirectory()) continue;
      let manifest;
      try {
        manifest = JSON.parse(readFileSync(join(root, folder, entry.name, "package.json"), "utf8"));
      } catch {
        continue;
      }
      if (!manifest.scripts?.test) continue;
      found.push({
        name: manifest.name,
        command: ["pnpm", ["--filter", manifest.name, "test"]],
        minTests: manifest.minTests,
      });
    }
  }
  return found;
}

/** Runs one step, passing its output through; resolves its counts and exit code. */
function run({ command: [cmd, args] }) {
  return new Promise((resolve) => {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const tally = (line) => {
      const plain = line.replace(ansi, "");
      for (const [re, read] of patterns) {
        const m = plain.match(re);
        if (!m) continue;
        for (const [key, value] of Object.entries(read(m))) counts[key] += value;
        return;
      }
    };
    const child = spawn(cmd, args, {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? "0" },
    });
    current = child;
    for (const [stream, out] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ]) {
      // One decoder per stream: a character split across two chunks is not lost.
      const decoder = new StringDecoder("utf8");
      let rest = "";
      stream.on("data", (chunk) => {
        out.write(chunk);
        const lines = (rest + decoder.write(chunk)).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) tally(line);
      });
      stream.on("end", () => tally(rest + decoder.end()));
    }
    child.on("close", (code, signal) => resolve({ counts, code: code ?? (signal ? 1 : 0) }));
  });
}

let current;
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    stopping = true;
    current?.kill(signal);
  });
}

const steps = [
  { name: "scripts", command: ["node", ["--test", "scripts/test/*.test.mjs"]], minTests: 13 },
  ...workspacePackages(),
];
const results = [];
for (const step of steps) {
  if (stopping) break;
  const { counts, code } = await run(step);
  const problems = [];
  if (code !== 0) problems.push(`exit code ${code}`);
  if (counts.skipped > 0) problems.push(`${counts.skipped} skipped`);
  const ran = counts.passed + counts.failed;
  if (typeof step.minTests !== "number") problems.push("no minTests in its package.json");
  else if (ran < step.minTests) problems.push(`ran ${ran}, expected at least ${step.minTests}`);
  results.push({ step, counts, problems });
}

const total = { passed: 0, failed: 0, skipped: 0 };
console.log("\nper package:");
for (const { step, counts, problems } of results) {
  for (const key of Object.keys(total)) total[key] += counts[key];
  const verdict = problems.length === 0 ? "ok" : `FAILED (${problems.join(", ")})`;
  console.log(
    `  ${step.name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped — ${verdict}`,
  );
}
const badSteps = results.filter((r) => r.problems.length > 0).length + (stopping ? 1 : 0);
// A failed package counts at least one failure, whatever its runner printed.
const failed = Math.max(total.failed, badSteps);
console.log(`\ntotal: ${total.passed} passed, ${failed} failed`);
process.exit(badSteps > 0 ? 1 : 0);
