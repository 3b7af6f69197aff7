/** Timing, CPU and verification of the bench's cells, run in interleaved slices. */
import { createHash } from "node:crypto";
import type { RunningEmulator } from "@digime-edge/emulator";

/** What one cell measured. */
export interface CellResult {
  concurrency: number;
  /** Seconds measured, over all slices. */
  seconds: number;
  uploads: number;
  failures: number;
  /** The first failure's message, if any. */
  failure?: string;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU ms per upload of this Node process (the client and the emulator). */
  nodeCpuMs: number;
  /** CPU ms per upload of the workerd process that runs the Worker (null for direct writes). */
  workerCpuMs: number | null;
  /** The same for wrangler dev's proxy in front of it (null where there is none). */
  proxyCpuMs: number | null;
  /** Whether the library holds exactly one more intact copy of the file per upload (SHA-256). */
  verified: boolean;
}

/** A cell's CPU ms per upload as the notes and table 1b print it: Node (client + emulator) + workerd. */
export const cpuOf = (m: CellResult) => `${m.nodeCpuMs}+${m.workerCpuMs ?? 0}`;

/** Lowercase hex SHA-256, as the emulator's library records it. */
export const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** How many intact copies of the file with `hash` and `size` the emulator's library holds. */
export function copiesInLibrary(emulator: RunningEmulator, hash: string, size: number): number {
  return emulator.store.listFiles().filter((f) => f.sha256 === hash && f.size === size).length;
}

/** One way of uploading, measured in slices. */
export interface Contender {
  /** One upload. */
  task: () => Promise<void>;
  /** CPU seconds so far of the Worker's process and of a proxy in front of it (absent for direct). */
  cpu?: () => { runtime: number; proxy: number | null };
}

/** What the library must show after each slice. */
export interface Verify {
  emulator: RunningEmulator;
  hash: string;
  size: number;
}

interface Slice {
  latencies: number[];
  failures: number;
  failure?: string;
  seconds: number;
  nodeCpu: number;
  workerCpu: number | null;
  proxyCpu: number | null;
  verified: boolean;
}

async function slice(
  contender: Contender,
  concurrency: number,
  seconds: number,
  verify: Verify,
): Promise<Slice> {
  const { task, cpu } = contender;
  const before = copiesInLibrary(verify.emulator, verify.hash, verify.size);
  const latencies: number[] = [];
  let failures = 0;
  let failure: string | undefined;
  const cpuBefore = cpu?.();
  const nodeBefore = process.cpuUsage();
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          await task();
          latencies.push(performance.now() - t);
        } catch (error) {
          failures++;
          failure ??= error instanceof Error ? error.message : String(error);
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const node = process.cpuUsage(nodeBefore);
  const cpuAfter = cpu?.();
  const copies = copiesInLibrary(verify.emulator, verify.hash, verify.size) - before;
  return {
    latencies,
    failures,
    ...(failure ? { failure } : {}),
    seconds: elapsed,
    nodeCpu: (node.user + node.system) / 1e6,
    workerCpu: cpuBefore && cpuAfter ? cpuAfter.runtime - cpuBefore.runtime : null,
    proxyCpu: cpuBefore?.proxy != null && cpuAfter?.proxy != null ? cpuAfter.proxy - cpuBefore.proxy : null,
    verified: copies === latencies.length,
  };
}

const round1 = (n: number) => Number(n.toFixed(1));

function combine(concurrency: number, slices: Slice[]): CellResult {
  const latencies = slices.flatMap((s) => s.latencies).sort((a, b) => a - b);
  const at = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  const uploads = latencies.length;
  const seconds = slices.reduce((sum, s) => sum + s.seconds, 0);
  const failures = slices.reduce((sum, s) => sum + s.failures, 0);
  const failure = slices.find((s) => s.failure)?.failure;
  const per = (values: (number | null)[]) =>
    values.some((v) => v === null) || uploads === 0
      ? null
      : round1(((values as number[]).reduce((a, b) => a + b, 0) * 1000) / uploads);
  return {
    concurrency,
    seconds: Number(seconds.toFixed(2)),
    uploads,
    failures,
    ...(failure ? { failure } : {}),
    // Over the whole time, the last uploads' tails included (they may end after a slice's end).
    perSecond: round1(uploads / seconds),
    p50Ms: round1(at(50) ?? Number.NaN),
    p99Ms: round1(at(99) ?? Number.NaN),
    nodeCpuMs: per(slices.map((s) => s.nodeCpu)) ?? Number.NaN,
    workerCpuMs: per(slices.map((s) => s.workerCpu)),
    proxyCpuMs: per(slices.map((s) => s.proxyCpu)),
    verified: failures === 0 && uploads > 0 && slices.every((s) => s.verified),
  };
}

/**
 * Measures each contender at `concurrency` for `seconds` in all, in `rounds` interleaved slices
 * (A B A B …), so that load from elsewhere on the machine falls on all of them alike. Returns
 * rate, latency percentiles, CPU per upload and whether every upload arrived intact, per contender.
 */
export async function measureInterleaved(
  contenders: Contender[],
  concurrency: number,
  seconds: number,
  rounds: number,
  verify: Verify,
): Promise<CellResult[]> {
  const slices: Slice[][] = contenders.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, contender] of contenders.entries()) {
      slices[i]?.push(await slice(contender, concurrency, seconds / rounds, verify));
    }
  }
  return slices.map((s) => combine(concurrency, s));
}
