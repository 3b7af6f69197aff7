/**
 * What every section of `pnpm bench` shares: the processes it started, dist/ built, the internals
 * that the package does not export, and timing (interleaved runs, medians, ratios, rates).
 */
import { type ChildProcess, spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BenchError, fmt, mbps } from "./lib.ts";

/** The package's folder. */
export const PKG = fileURLToPath(new URL("..", import.meta.url));
/** Timed runs per variant (the median is shown), after one untimed checked run. */
export const RUNS = 7;

/** The processes the bench started (the sink, the RSS children): stopped by pid at the end. */
export const children = new Set<ChildProcess>();
/** A full collection between timed runs (`node --expose-gc`); a no-op without the flag. */
export const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

/** Stops what we started, by pid. */
export function stopChildren() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  }
  children.clear();
}

// --- Setup -----------------------------------------------------------------------------------------

export function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** dist/ as users get it; rebuilt when missing or older than src/. */
export function ensureBuilt() {
  let built = 0;
  try {
    built = statSync(join(PKG, "dist/index.js")).mtimeMs;
  } catch {}
  if (built >= newestMtime(join(PKG, "src"))) return;
  console.log("dist/ is missing or older than src/: building it (tsup)");
  const run = spawnSync(join(PKG, "node_modules/.bin/tsup"), { cwd: PKG, stdio: "inherit" });
  if (run.status !== 0) throw new BenchError("the build failed");
}

export interface Internals {
  createCbcEncryptStream: (key: CryptoKey, iv: Uint8Array) => TransformStream<Uint8Array, Uint8Array>;
  encryptCbc: (key: CryptoKey, iv: Uint8Array, data: Uint8Array) => Promise<Uint8Array>;
  signJwt: (payload: Record<string, unknown>, key: CryptoKey) => Promise<string>;
  importContractPrivateKey: (pem: string) => Promise<CryptoKey>;
  encodeBase64: (bytes: Uint8Array) => string;
  encodeBase64Url: (bytes: Uint8Array) => string;
  decodeBase64: (text: string) => Uint8Array;
  decodeBase64Url: (text: string) => Uint8Array;
}

/** The internals that the package does not export, bundled from src/ (no temp file). */
export async function loadInternals(): Promise<Internals> {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    stdin: {
      contents: [
        'export { createCbcEncryptStream, encryptCbc } from "./src/crypto/cbc-stream.ts";',
        'export { signJwt } from "./src/crypto/jws.ts";',
        'export { importContractPrivateKey } from "./src/crypto/keys.ts";',
        'export { decodeBase64, decodeBase64Url, encodeBase64, encodeBase64Url } from "./src/internal/base64.ts";',
      ].join("\n"),
      resolveDir: PKG,
      loader: "ts",
    },
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]?.text ?? "";
  return import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
}

/**
 * Median wall time and median CPU time (this process, all threads: user + system) of one run, and
 * every run's, in the order they ran (for ratios of runs made side by side: {@link pairedRatio}).
 */
export interface Timing {
  ms: number;
  cpuMs: number;
  runs: { ms: number[]; cpuMs: number[] };
}

export function median(list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * The median, over the rounds, of `value`'s run over `baseline`'s run of the same round (`ms` or
 * `cpuMs`): the two ran side by side, under the same load from the rest of the machine.
 */
export function pairedRatio(value: Timing, baseline: Timing, of: "ms" | "cpuMs" = "ms"): number {
  return pairedMedian(value.runs[of], baseline.runs[of]);
}

/** The median, over the rounds, of `a`'s figure over `b`'s of the same round (run side by side). */
export function pairedMedian(a: number[], b: number[]): number {
  return median(pairs(a, b));
}

function pairs(a: number[], b: number[]): number[] {
  return a.map((v, i) => v / (b[i] as number));
}

/** The middle half of the rounds' ratios (see {@link pairedRatio}): "0.91-1.04x", or its inverse. */
export function pairedSpread(value: Timing, baseline: Timing, of: "ms" | "cpuMs" = "ms", invert = false) {
  const sorted = pairs(value.runs[of], baseline.runs[of])
    .map((r) => (invert ? 1 / r : r))
    .sort((a, b) => a - b);
  const at = (q: number) => (sorted[Math.floor(q * (sorted.length - 1))] as number).toFixed(2);
  return `${at(0.25)}-${at(0.75)}x`;
}

/**
 * Runs every variant `runs` times, interleaved, with a gc() before each run; medians. The order
 * turns around every round (A B, B A, …), so that neither variant always runs after the other.
 */
export async function interleaved<K extends string>(
  runs: number,
  variants: Record<K, () => Promise<unknown>>,
  after?: (name: K) => Promise<unknown>,
): Promise<Record<K, Timing>> {
  const times = {} as Record<K, { ms: number[]; cpuMs: number[] }>;
  const order = Object.entries(variants) as [K, () => Promise<unknown>][];
  for (let run = 0; run < runs; run++) {
    for (const [name, fn] of run % 2 === 0 ? order : [...order].reverse()) {
      gc(); // the garbage of the previous variant is not charged to this one
      const cpu = process.cpuUsage();
      const start = performance.now();
      await fn();
      const ms = performance.now() - start;
      const used = process.cpuUsage(cpu);
      times[name] ??= { ms: [], cpuMs: [] };
      times[name].ms.push(ms);
      times[name].cpuMs.push((used.user + used.system) / 1000);
      await after?.(name);
    }
  }
  const medians = {} as Record<K, Timing>;
  for (const [name, t] of Object.entries(times) as [K, Timing["runs"]][]) {
    medians[name] = { ms: median(t.ms), cpuMs: median(t.cpuMs), runs: t };
  }
  return medians;
}

/**
 * A table row of one timed variant of `bytes`: ms, CPU ms, MB/s (medians) and its throughput over
 * each baseline's (the same interleaved runs), run by run: {@link pairedRatio}.
 */
export function timingRow(name: string, timing: Timing, bytes: number, baselines: Timing[]): string[] {
  const { ms, cpuMs } = timing;
  return [
    name,
    fmt(ms, 1),
    fmt(cpuMs, 0),
    fmt(mbps(bytes, ms)),
    ...baselines.map((b) => `${(1 / pairedRatio(timing, b)).toFixed(2)}x`),
  ];
}

/**
 * Operations per second of each variant with `concurrency` in flight: `rounds` short rounds,
 * interleaved across the variants (the order turned around every round), the median round shown.
 */
export async function opsPerSecond(
  variants: Record<string, { concurrency: number; op: () => unknown }>,
  totalMs: number,
  rounds = 5,
): Promise<Record<string, number>> {
  const medians: Record<string, number> = {};
  for (const [name, { perSecond }] of Object.entries(await opsRounds(variants, totalMs, rounds))) {
    medians[name] = median(perSecond);
  }
  return medians;
}

/** One variant's rounds in {@link opsRounds}: operations per second and CPU ms per operation. */
export interface OpsRounds {
  perSecond: number[];
  cpuMs: number[];
}

/**
 * {@link opsPerSecond}'s rounds: each variant's operations per second and CPU ms per operation
 * (this process, all threads), round by round.
 */
export async function opsRounds(
  variants: Record<string, { concurrency: number; op: () => unknown }>,
  totalMs: number,
  rounds: number,
): Promise<Record<string, OpsRounds>> {
  const out: Record<string, OpsRounds> = {};
  for (const { op } of Object.values(variants)) for (let i = 0; i < 10; i++) await op();
  const order = Object.entries(variants);
  for (let round = 0; round < rounds; round++) {
    for (const [name, { concurrency, op }] of round % 2 === 0 ? order : [...order].reverse()) {
      gc();
      let done = 0;
      const cpu = process.cpuUsage();
      const start = performance.now();
      const end = start + totalMs / rounds;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < end) {
            await op();
            done++;
          }
        }),
      );
      const used = process.cpuUsage(cpu);
      out[name] ??= { perSecond: [], cpuMs: [] };
      out[name].perSecond.push(done / ((performance.now() - start) / 1000));
      out[name].cpuMs.push((used.user + used.system) / 1000 / done);
    }
  }
  return out;
}

/** A cost ratio (ours over the baseline's) against its target: "1.02x OVER", "0.97x ok". */
export function costRatio(r: number, target: number): string {
  return `${r.toFixed(2)}x ${r <= target ? "ok" : "OVER"}`;
}

/** The 1-minute load average, for the notes. */
export function loadAverage(): string {
  return fmt(loadavg()[0] ?? 0, 1);
}
