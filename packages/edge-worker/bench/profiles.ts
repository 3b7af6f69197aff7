/**
 * Table 2 of `pnpm bench`: the Worker's own JavaScript CPU per upload (what Cloudflare bills and
 * limits), per mode and size, from CPU profiles of its isolate through workerd's inspector (see
 * `cpu-profile.ts` for what is counted), and the plans it fits.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningEmulator } from "@digime-edge/emulator";
import { randomFile } from "./cells.ts";
import type { WorkerSession } from "./clients.ts";
import {
  type CpuSummary,
  connectProfiler,
  type Profile,
  type Profiler,
  sourceLocator,
  summarize,
} from "./cpu-profile.ts";
import type { WorkerHost } from "./hosts.ts";
import { copiesInLibrary, sha256 } from "./measure.ts";
import { MODES, sendToWorker, type WriteApi } from "./modes.ts";
import { setThreadsPriority } from "./proc-cpu.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
/**
 * Sizes of the profiles, how many uploads each profile holds, and how many profiles are taken, of
 * which the median counts. Samples are lost when the machine is busy (workerd's sampler records
 * late or not at all), so one profile can read several times low; a 64 MiB profile holds a single
 * upload and takes about a second, so it is taken more often.
 */
export const PROFILE_SIZES: [bytes: number, uploads: number, repeats: number][] = [
  [64 * KiB, 20, 3],
  [4 * MiB, 5, 3],
  [64 * MiB, 1, 7],
];
/** How much a sealed or import upload's JS CPU may grow per 100 MiB of file, in ms ("a few"). */
export const GROWTH_TARGET_MS = 5;
/** Cloudflare's CPU limits per request. */
export const PLANS = { freeMs: 10, paidDefaultMs: 30_000 };

/** One row of table 2: the Worker's JS CPU for one mode and size. */
export interface ProfileRow {
  mode: string;
  bytes: number;
  uploads: number;
  /** JS CPU per upload (ms), garbage collection included: the median of the profiles. */
  jsMs: number;
  /** The lowest and highest of the profiles. */
  jsRangeMs: { min: number; max: number };
  gcMs: number;
  /** The workerd process's CPU per upload over the same run (JS, C++ and Miniflare's own workers). */
  processMs: number;
  wallMsPerUpload: number;
  /** What one profile sample stood for (µs), and how many there were. */
  periodUs: number;
  samples: number;
  verified: boolean;
  top: string[];
}

/**
 * Growth per 100 MiB between two profile rows of one mode: of the JS CPU (default), or of the
 * workerd process's CPU (`processMs`: read from `/proc`, so it loses no samples, but it holds
 * workerd's C++ and Miniflare's entry as well).
 */
export function growthPer100MiB(
  small: ProfileRow,
  large: ProfileRow,
  of: "jsMs" | "processMs" = "jsMs",
): number {
  return ((large[of] - small[of]) / (large.bytes - small.bytes)) * 100 * MiB;
}

/**
 * A contender's growth per 100 MiB from its table 2 rows at 64 KiB and 64 MiB (undefined unless
 * both were taken): of the JS CPU (`per100`) and of the workerd process (`process`), and the rows.
 */
export function growthOf(profiles: ProfileRow[], name: string) {
  const small = profiles.find((p) => p.mode === name && p.bytes === 64 * KiB);
  const large = profiles.find((p) => p.mode === name && p.bytes === 64 * MiB);
  if (!small || !large) return undefined;
  const process = growthPer100MiB(small, large, "processMs");
  return { per100: growthPer100MiB(small, large), process, small, large };
}

/** The Cloudflare plans whose CPU limit per request `jsMs` fits. */
export function plansFor(jsMs: number): string {
  if (jsMs <= PLANS.freeMs) return "Free and paid";
  if (jsMs <= PLANS.paidDefaultMs) return "paid (over Free's 10 ms)";
  return "neither (over 30 s)";
}

/** One way of uploading whose isolate is profiled: a mode of the Worker, or a floor. */
export interface ProfileContender {
  /** The row's name (the mode's, or `floor-…`). */
  name: string;
  host: WorkerHost;
  /** Prepares one upload of `data` (before the clock); the returned task is what is profiled. */
  prepare: (data: Uint8Array<ArrayBuffer>) => Promise<() => Promise<void>>;
  /** Names the sources of the top functions (the bundle's source map), if any. */
  where?: Locator | undefined;
}

type Locator = (frame: Profile["nodes"][number]["callFrame"]) => string;

/** The Worker's modes as profile contenders, each on its write API's Miniflare session. */
export function modeContenders(
  sessions: Map<WriteApi, WorkerSession>,
  bundleDir: string,
): ProfileContender[] {
  const where = sourceLocator(bundleDir);
  return MODES.map((mode) => {
    const session = sessions.get(mode.writeApi) as WorkerSession;
    const prepare = async (data: Uint8Array<ArrayBuffer>) => {
      const upload = await mode.toWorker(data, session);
      return () => sendToWorker(session, mode.route, upload);
    };
    return { name: mode.name, host: session.host, prepare, where };
  });
}

/** What one contender's profiles of one size add up to. */
interface Tally {
  runs: CpuSummary[];
  processSeconds: number;
  wallMs: number;
  verified: boolean;
}

/**
 * Profiles the isolate of each contender over sequential uploads of each size, the contenders'
 * profiles taken in turn (A B C A B C …) so that load from elsewhere on the machine falls on all
 * alike; every upload verified at the emulator (one more copy per upload, counted per profile).
 *
 * @param profilesDir - Where to keep the `.cpuprofile` files, if anywhere.
 */
export async function profileCells(
  contenders: ProfileContender[],
  emulator: RunningEmulator,
  profilesDir: string | undefined,
): Promise<{ rows: ProfileRow[]; prioritized: boolean }> {
  const hosts = [...new Set(contenders.map((c) => c.host))];
  const profilers = new Map<WorkerHost, Profiler>();
  const rows: ProfileRow[] = [];
  // On a busy machine workerd's sampler loses samples (the same code has read up to 4x low):
  // workerd gets the CPU first while profiled, where allowed (root or CAP_SYS_NICE). Every host
  // or none, so the contenders compare alike: where one fails, every host is tried and reset at
  // once (the one that failed too: it may have raised some threads before it did).
  const raised = hosts.filter((host) => setThreadsPriority(host.pids, -10));
  const prioritized = raised.length === hosts.length;
  const reset = () => {
    for (const host of hosts) setThreadsPriority(host.pids, 0);
  };
  if (!prioritized) reset();
  try {
    for (const host of hosts) {
      if (!host.inspector) throw new Error(`${host.label} has no inspector`);
      profilers.set(host, await connectProfiler(host.inspector.port, host.inspector.target));
    }
    for (const [bytes, uploads, repeats] of PROFILE_SIZES) {
      const data = randomFile(bytes);
      const hash = sha256(data);
      const sends = await Promise.all(contenders.map((c) => c.prepare(data)));
      for (const send of sends) {
        await send(); // warm-up (JIT, connections)
        await send();
      }
      const tallies: Tally[] = contenders.map(() => ({
        runs: [],
        processSeconds: 0,
        wallMs: 0,
        verified: true,
      }));
      for (let r = 0; r < repeats; r++) {
        for (const [i, c] of contenders.entries()) {
          const tally = tallies[i] as Tally;
          const profiler = profilers.get(c.host) as Profiler;
          const copies = copiesInLibrary(emulator, hash, bytes);
          const cpu = c.host.cpu().runtime;
          const started = performance.now();
          await profiler.start();
          // The sampler's thread is new with each profile.
          if (prioritized) setThreadsPriority(c.host.pids, -10);
          let profile: Profile;
          try {
            for (let u = 0; u < uploads; u++) await (sends[i] as () => Promise<void>)();
          } finally {
            profile = await profiler.stop();
          }
          tally.wallMs += performance.now() - started;
          tally.processSeconds += c.host.cpu().runtime - cpu;
          tally.verified &&= copiesInLibrary(emulator, hash, bytes) - copies === uploads;
          tally.runs.push(summarize(profile, c.where));
          if (profilesDir) {
            mkdirSync(profilesDir, { recursive: true });
            const size = bytes >= MiB ? `${bytes / MiB}MiB` : `${bytes / KiB}KiB`;
            writeFileSync(
              join(profilesDir, `${c.name}-${size}-${r + 1}.cpuprofile`),
              JSON.stringify(profile),
            );
          }
        }
      }
      for (const [i, c] of contenders.entries())
        rows.push(rowOf(c.name, bytes, uploads, tallies[i] as Tally));
    }
  } finally {
    if (prioritized) reset();
    for (const profiler of profilers.values()) profiler.close();
  }
  // Table order: by contender, then size.
  const order = contenders.map((c) => c.name);
  rows.sort((x, y) => order.indexOf(x.mode) - order.indexOf(y.mode) || x.bytes - y.bytes);
  return { rows, prioritized };
}

/** One row of table 2 from a contender's profiles of one size: their median, and the range. */
function rowOf(name: string, bytes: number, uploads: number, tally: Tally): ProfileRow {
  const { runs } = tally;
  const total = uploads * runs.length;
  const perUpload = runs.map((r) => r.jsMs / uploads).sort((a, b) => a - b);
  const middle = perUpload[Math.floor(perUpload.length / 2)];
  const median = runs.find((r) => r.jsMs / uploads === middle) ?? (runs[0] as CpuSummary);
  const ms = (n: number | undefined) => Number((n ?? Number.NaN).toFixed(2));
  return {
    mode: name,
    bytes,
    uploads: total,
    jsMs: ms(median.jsMs / uploads),
    jsRangeMs: { min: ms(perUpload[0]), max: ms(perUpload[perUpload.length - 1]) },
    gcMs: ms(median.gcMs / uploads),
    processMs: Number(((tally.processSeconds * 1000) / total).toFixed(1)),
    wallMsPerUpload: Number((tally.wallMs / total).toFixed(1)),
    verified: tally.verified,
    periodUs: median.periodUs,
    samples: median.samples,
    top: median.top,
  };
}
