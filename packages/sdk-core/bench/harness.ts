/**
 * What every section of `pnpm bench` shares: the processes it started, dist/ built, the internals
 * that the package does not export, and timing (interleaved runs, medians, ratios, rates).
 */
import { type ChildProcess, spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BenchError, fmt, mbps, ratio } from "./lib.ts";

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

/** Median wall time and median CPU time (this process, all threads: user + system) of one run. */
export interface Timing {
  ms: number;
  cpuMs: number;
}

export function median(list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Runs every variant `runs` times, interleaved, with a gc() before each run; medians. */
export async function interleaved<K extends string>(
  runs: number,
  variants: Record<K, () => Promise<unknown>>,
  after?: (name: K) => Promise<unknown>,
): Promise<Record<K, Timing>> {
  const times = {} as Record<K, { ms: number[]; cpu: number[] }>;
  for (let run = 0; run < runs; run++) {
    for (const [name, fn] of Object.entries(variants) as [K, () => Promise<unknown>][]) {
      gc(); // the garbage of the previous variant is not charged to this one
      const cpu = process.cpuUsage();
      const start = performance.now();
      await fn();
      const ms = performance.now() - start;
      const used = process.cpuUsage(cpu);
      times[name] ??= { ms: [], cpu: [] };
      times[name].ms.push(ms);
      times[name].cpu.push((used.user + used.system) / 1000);
      await after?.(name);
    }
  }
  const medians = {} as Record<K, Timing>;
  for (const [name, t] of Object.entries(times) as [K, { ms: number[]; cpu: number[] }][]) {
    medians[name] = { ms: median(t.ms), cpuMs: median(t.cpu) };
  }
  return medians;
}

/** A table row of one timed variant of `bytes`: ms, CPU ms, MB/s and its ratio to each baseline. */
export function timingRow(name: string, { ms, cpuMs }: Timing, bytes: number, baselines: Timing[]): string[] {
  const rate = mbps(bytes, ms);
  return [
    name,
    fmt(ms, 1),
    fmt(cpuMs, 0),
    fmt(rate),
    ...baselines.map((b) => ratio(rate, mbps(bytes, b.ms))),
  ];
}

/**
 * Operations per second of each variant with `concurrency` in flight: `rounds` short rounds,
 * interleaved across the variants, the median round shown.
 */
export async function opsPerSecond(
  variants: Record<string, { concurrency: number; op: () => unknown }>,
  totalMs: number,
  rounds = 5,
): Promise<Record<string, number>> {
  const rates: Record<string, number[]> = {};
  for (const { op } of Object.values(variants)) for (let i = 0; i < 10; i++) await op();
  for (let round = 0; round < rounds; round++) {
    for (const [name, { concurrency, op }] of Object.entries(variants)) {
      gc();
      let done = 0;
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
      rates[name] ??= [];
      rates[name].push(done / ((performance.now() - start) / 1000));
    }
  }
  const medians: Record<string, number> = {};
  for (const [name, list] of Object.entries(rates)) medians[name] = median(list);
  return medians;
}

/** `value / baseline` against a target ratio: "1.02x (target <= 1.00x: over)". */
export function costRatio(value: number, baseline: number, target: number): string {
  const r = value / baseline;
  return `${r.toFixed(2)}x ${r <= target ? "ok" : "OVER"}`;
}

/** The 1-minute load average, for the notes. */
export function loadAverage(): string {
  return fmt(loadavg()[0] ?? 0, 1);
}
