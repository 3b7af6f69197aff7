/**
 * What `pnpm bench` prints: the machine, table 1 (uploads: ratios against direct writes), table 2
 * (the Worker's JS CPU and the plans it fits), the bundle, and for every target whether it is met,
 * what was tried, what was measured and where the floor is.
 */
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { type Row, size, TARGET_RATIO, tenths } from "./cells.ts";
import { FLOORS } from "./floors.ts";
import { type CellResult, cpuOf } from "./measure.ts";
import { MODES } from "./modes.ts";
import { printNotes } from "./notes.ts";
import { GROWTH_TARGET_MS, growthOf, PROFILE_SIZES, type ProfileRow, plansFor } from "./profiles.ts";

/** What the bench writes to `results.json` and prints. */
export interface Results {
  machine: ReturnType<typeof machine>;
  seconds: number;
  rounds: number;
  rows: Row[];
  profiles: ProfileRow[];
  bundle: { bytes: number; gzipBytes: number };
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

/** The machine, and its load: other work on it slows the contenders that need more wake-ups. */
export function machine(loadBefore: number[]) {
  const model = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpus()[0]?.model;
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
  return {
    nproc: cpus().length,
    cpu: model ?? "unknown",
    node: process.version,
    loadAverage: { before: load(loadBefore), after: load(loadavg()) },
  };
}

function cell(m: CellResult, withCpu: boolean): string {
  const cpu = withCpu
    ? ` ${pad(m.workerCpuMs ?? "-", 5)}${m.proxyCpuMs === null ? "" : `+${m.proxyCpuMs}`}`
    : "";
  const bad = m.failures ? ` (${m.failures} failed: ${m.failure})` : m.verified ? "" : " (NOT VERIFIED)";
  return `${pad(m.perSecond, 7)}/s ${pad(m.p50Ms, 7)}${cpu}${bad}`;
}

const ratioOf = (r: Row, label: string) =>
  Number((r.direct.perSecond / (r.worker[label] as CellResult).perSecond).toFixed(2));

/**
 * The ratio the CPU alone predicts when the machine's cores are all busy: the CPU per upload of
 * the Node process (client and emulator) and of workerd through the Worker, over Node's directly.
 */
const cpuRatioOf = (r: Row, label: string) => {
  const w = r.worker[label] as CellResult;
  return Number(((w.nodeCpuMs + (w.workerCpuMs ?? 0)) / r.direct.nodeCpuMs).toFixed(2));
};

/** Prints table 1; returns the targets it missed. */
function printUploads(results: Results, missed: string[]): boolean {
  const { rows, seconds, rounds } = results;
  let verified = true;
  const labels = Object.keys(rows[0]?.worker ?? {});
  const title: Record<string, string> = {
    miniflare: "Worker: workerd, Miniflare dispatchFetch",
    "workerd socket": "Worker: workerd, its own socket",
    "wrangler dev": "Worker under wrangler dev (+its proxy)",
  };
  console.log(
    `1. Uploads, direct sdk-core writes vs through the Worker, same emulator, ${seconds} s per cell in ${rounds} interleaved slices.`,
  );
  console.log(
    "   Cells: uploads/s, p50 ms, and for the Worker the CPU ms per upload of its workerd process. ratio: direct uploads/s over the Worker's; cpu: the ratio of CPU per upload (Node + workerd over Node direct).",
  );
  console.log(
    `mode      size    conc | ${"direct sdk-core (Node)".padEnd(24)} | ${labels.map((l) => `${(title[l] ?? l).padEnd(36)} | ratio      cpu    `).join(" | ")}`,
  );
  for (const r of rows) {
    const parts = labels.map((label) => {
      const w = r.worker[label] as CellResult;
      const ratio = ratioOf(r, label);
      let mark = "";
      if (r.concurrency === 32 && label !== "wrangler dev") mark = ratio <= TARGET_RATIO ? " ok" : " OVER";
      if (mark === " OVER" && label === "miniflare")
        missed.push(`${r.mode} ${size(r.bytes)} at 32: ${ratio}x`);
      if (!w.verified) verified = false;
      return `${cell(w, true).padEnd(36)} | ${`${ratio}x${mark}`.padEnd(11)}${`${cpuRatioOf(r, label)}x`.padEnd(7)}`;
    });
    if (!r.direct.verified) verified = false;
    console.log(
      `${r.mode.padEnd(9)} ${size(r.bytes).padEnd(7)} ${pad(r.concurrency, 4)} | ${cell(r.direct, false).padEnd(24)} | ${parts.join(" | ")}`,
    );
  }
  console.log(
    `Target: ratio <= ${TARGET_RATIO}x at concurrency 32 without wrangler dev's proxy (judged on dispatchFetch; wrangler dev beside it, labelled). Every cell verified: the library holds one intact copy (SHA-256) per upload.`,
  );
  return verified;
}

const times = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

/**
 * Prints table 1b: the forwarding floor (`floors.ts`) beside the direct writes and the Worker, as
 * the hop's own cost (direct/forwarder), what the Worker adds over it (forwarder/Worker) and both.
 */
function printForwardingFloor(rows: Row[]): boolean {
  let verified = true;
  console.log(
    "1b. The forwarding floor: the same direct sdk-core writes through a Worker of a few lines that passes the request on untouched (bench/floors.ts): one workerd hop via dispatchFetch, none of our code; measured in the same interleaved slices as table 1.",
  );
  console.log(
    "   Cells: uploads/s, p50 ms, CPU ms per upload Node (client + emulator) + workerd. floor: direct/forwarder uploads/s (the hop's own cost); ours: forwarder/Worker (what our Worker adds over the floor); total: direct/Worker (table 1's ratio).",
  );
  console.log(
    `mode      size    conc | ${"forwarder".padEnd(30)} | ${"Worker (dispatchFetch)".padEnd(30)} | floor  ours   total`,
  );
  for (const r of rows) {
    const f = r.forwarder;
    const w = r.worker.miniflare;
    if (!f || !w) continue;
    if (!f.verified) verified = false;
    const bad = f.failures ? ` (${f.failures} failed: ${f.failure})` : f.verified ? "" : " (NOT VERIFIED)";
    const cellOf = (m: CellResult) => `${pad(m.perSecond, 6)}/s ${pad(m.p50Ms, 7)} ${pad(cpuOf(m), 11)}`;
    console.log(
      `${r.mode.padEnd(9)} ${size(r.bytes).padEnd(7)} ${pad(r.concurrency, 4)} | ${cellOf(f).padEnd(30)} | ${cellOf(w).padEnd(30)} | ${times(r.direct.perSecond, f.perSecond).padEnd(6)} ${times(f.perSecond, w.perSecond).padEnd(6)} ${times(r.direct.perSecond, w.perSecond)}${bad}`,
    );
  }
  return verified;
}

/** Prints table 2 and the growth per 100 MiB; returns the targets it missed. */
function printProfiles(profiles: ProfileRow[], missed: string[]): boolean {
  let verified = true;
  console.log(
    `2. The Worker's own JavaScript CPU per upload: CPU profiles of its isolate through workerd's inspector, sequential uploads, median of ${PROFILE_SIZES.map(([, , repeats]) => repeats).join("/")} profiles per size (range), the modes' and the floors' (floors.ts) taken in turn; workerd process CPU beside it (JS, its C++ I/O and Miniflare's entry)`,
  );
  console.log(
    "mode       size     uploads | JS CPU ms: median (range), GC    | workerd process ms | plans (10 ms Free, 30 s paid)",
  );
  for (const p of profiles) {
    if (!p.verified) verified = false;
    console.log(
      `${p.mode.padEnd(10)} ${size(p.bytes).padEnd(8)} ${pad(p.uploads, 7)} | ${`${pad(p.jsMs.toFixed(2), 7)} (${p.jsRangeMs.min}-${p.jsRangeMs.max}), ${p.gcMs.toFixed(2)}`.padEnd(30)} | ${pad(p.processMs, 18)} | ${plansFor(p.jsMs)}${p.verified ? "" : " (NOT VERIFIED)"}`,
    );
  }
  // The modes, then the floors (floors.ts: Workers of a few lines, none of our code).
  const contenders: { name: string; flat?: boolean; what?: string }[] = [...MODES, ...Object.values(FLOORS)];
  for (const { name, flat, what } of contenders) {
    const growth = growthOf(profiles, name);
    if (growth) {
      const { per100, process, large } = growth;
      const target = !flat ? "" : per100 <= GROWTH_TARGET_MS ? " ok" : " OVER";
      if (target === " OVER") missed.push(`${name} JS CPU growth: ${per100.toFixed(1)} ms per 100 MiB`);
      console.log(
        `${name}${what ? ` (${what})` : ""}: JS CPU grows ${tenths(per100)} ms per 100 MiB of file${target ? ` (target <= ${GROWTH_TARGET_MS} ms:${target})` : ""}, the workerd process ${process.toFixed(0)} ms; most self time at 64 MiB: ${large.top.slice(0, 4).join("; ")}`,
      );
    }
  }
  return verified;
}

/** Prints everything; returns whether every upload was verified (unmet targets do not fail). */
export function report(results: Results): boolean {
  const missed: string[] = [];
  const m = results.machine;
  console.log(
    `machine: ${m.nproc} cores (${m.cpu}), Node ${m.node}; load average (1, 5, 15 min) before ${m.loadAverage.before}, after ${m.loadAverage.after}`,
  );
  console.log("");
  let verified = true;
  if (results.rows.length > 0) verified = printUploads(results, missed) && verified;
  if (results.rows.some((r) => r.forwarder)) {
    console.log("");
    verified = printForwardingFloor(results.rows) && verified;
  }
  console.log("");
  if (results.profiles.length > 0) verified = printProfiles(results.profiles, missed) && verified;
  console.log("");
  const { bundle } = results;
  console.log(
    `bundle: ${(bundle.bytes / 1024).toFixed(1)} KiB, gzipped ${(bundle.gzipBytes / 1024).toFixed(1)} KiB`,
  );
  console.log("");
  printNotes(results);
  if (missed.length > 0) console.log(`Targets not met: ${missed.join("; ")} (see the notes above)`);
  if (!verified) console.log("VERIFICATION FAILED: an upload failed or did not arrive intact (see above)");
  return verified;
}
