// `pnpm --filter @digime-edge/conformance test`: the packaging checks, then the conformance suite on
// Node, Deno, Bun, workerd and Chromium, one after another (each starts and stops its own server).
// Exits non-zero when anything failed. `CONFORMANCE_ONLY=node,deno` runs a subset (an unknown
// name fails).
import { mainIf } from "./lib.mjs";
import { packCheck } from "./pack-check.mjs";
import { runBun } from "./run-bun.mjs";
import { runChromium } from "./run-chromium.mjs";
import { runDeno } from "./run-deno.mjs";
import { runNode } from "./run-node.mjs";
import { runWorkerd } from "./run-workerd.mjs";

const ALL = {
  "pack-check": packCheck,
  node: runNode,
  deno: runDeno,
  bun: runBun,
  workerd: runWorkerd,
  chromium: runChromium,
};

export async function runAll() {
  // Unset or empty: every runner. A misspelt name would run nothing and pass: it fails instead.
  const only = (process.env.CONFORMANCE_ONLY ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only.filter((name) => !(name in ALL));
  if (unknown.length > 0) {
    console.log(`conformance: no runner named ${unknown.join(", ")} (known: ${Object.keys(ALL).join(", ")})`);
    return { runtime: "conformance", passed: 0, failed: 1 };
  }
  const t0 = Date.now();
  const summaries = [];
  for (const [name, fn] of Object.entries(ALL)) {
    if (only.length > 0 && !only.includes(name)) continue;
    summaries.push(await fn());
  }
  const failed = summaries.reduce((n, s) => n + s.failed, 0);
  const bad = summaries.filter((s) => s.failed > 0).map((s) => s.runtime);
  console.log(
    `conformance: ${bad.length === 0 ? "all runtimes passed" : `FAILED in ${bad.join(", ")}`} (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );
  return { failed };
}

await mainIf(import.meta, runAll);
