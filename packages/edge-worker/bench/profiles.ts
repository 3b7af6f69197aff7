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
import { type CpuSummary, connectProfiler, type Profile, sourceLocator, summarize } from "./cpu-profile.ts";
import type { WorkerHost } from "./hosts.ts";
import { copiesInLibrary, sha256 } from "./measure.ts";
import { MODES, type Mode, sendToWorker, type WriteApi } from "./modes.ts";
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

/** The Cloudflare plans whose CPU limit per request `jsMs` fits. */
export function plansFor(jsMs: number): string {
  if (jsMs <= PLANS.freeMs) return "Free and paid";
  if (jsMs <= PLANS.paidDefaultMs) return "paid (over Free's 10 ms)";
  return "neither (over 30 s)";
}

/**
 * Profiles the Worker's isolate over sequential uploads of every mode and size.
 *
 * @param sessions - The Miniflare session of each write API.
 * @param profilesDir - Where to keep the `.cpuprofile` files, if anywhere.
 */
export async function profileCells(
  sessions: Map<WriteApi, WorkerSession>,
  emulator: RunningEmulator,
  bundleDir: string,
  profilesDir: string | undefined,
) {
  const rows: ProfileRow[] = [];
  let prioritized = true;
  for (const mode of MODES) {
    const session = sessions.get(mode.writeApi) as WorkerSession;
    const result = await profileMode(mode, session, emulator, bundleDir, profilesDir);
    rows.push(...result.rows);
    prioritized &&= result.prioritized;
  }
  return { rows, prioritized };
}

/** Profiles the Worker's isolate over sequential uploads of `mode`, of each size. */
function profileMode(
  mode: Mode,
  session: WorkerSession,
  emulator: RunningEmulator,
  bundleDir: string,
  profilesDir: string | undefined,
) {
  const prepare = async (data: Uint8Array<ArrayBuffer>) => {
    const upload = await mode.toWorker(data, session);
    return () => sendToWorker(session, mode.route, upload);
  };
  return profileUploads(mode.name, session.host, prepare, emulator, sourceLocator(bundleDir), profilesDir);
}

/**
 * Profiles the isolate of `host` over sequential uploads of each size, each prepared by `prepare`
 * (which returns one upload) and verified at the emulator; `where` names the top functions' sources.
 */
export async function profileUploads(
  name: string,
  host: WorkerHost,
  prepare: (data: Uint8Array<ArrayBuffer>) => Promise<() => Promise<void>>,
  emulator: RunningEmulator,
  where: ((frame: Profile["nodes"][number]["callFrame"]) => string) | undefined,
  profilesDir: string | undefined,
) {
  if (!host.inspector) throw new Error(`${host.label} has no inspector`);
  const profiler = await connectProfiler(host.inspector.port, host.inspector.target);
  const rows: ProfileRow[] = [];
  // On a busy machine workerd's sampler loses samples (the same code has read up to 4x low):
  // workerd gets the CPU first while profiled, where allowed (root or CAP_SYS_NICE).
  const prioritized = setThreadsPriority(host.pids, -10);
  try {
    for (const [bytes, uploads, repeats] of PROFILE_SIZES) {
      const data = randomFile(bytes);
      const hash = sha256(data);
      const send = await prepare(data);
      await send(); // warm-up (JIT, connections)
      await send();
      const before = copiesInLibrary(emulator, hash, bytes);
      const cpuBefore = host.cpu().runtime;
      const started = performance.now();
      const runs: CpuSummary[] = [];
      for (let r = 0; r < repeats; r++) {
        await profiler.start();
        // The sampler's thread is new with each profile.
        if (prioritized) setThreadsPriority(host.pids, -10);
        let profile: Profile;
        try {
          for (let i = 0; i < uploads; i++) await send();
        } finally {
          profile = await profiler.stop();
        }
        runs.push(summarize(profile, where));
        if (profilesDir) {
          mkdirSync(profilesDir, { recursive: true });
          const size = bytes >= MiB ? `${bytes / MiB}MiB` : `${bytes / KiB}KiB`;
          writeFileSync(join(profilesDir, `${name}-${size}-${r + 1}.cpuprofile`), JSON.stringify(profile));
        }
      }
      const total = uploads * repeats;
      const wall = performance.now() - started;
      const processMs = ((host.cpu().runtime - cpuBefore) * 1000) / total;
      const perUpload = runs.map((r) => r.jsMs / uploads).sort((a, b) => a - b);
      const middle = perUpload[Math.floor(perUpload.length / 2)];
      const median = runs.find((r) => r.jsMs / uploads === middle) ?? (runs[0] as CpuSummary);
      const ms = (n: number | undefined) => Number((n ?? Number.NaN).toFixed(2));
      rows.push({
        mode: name,
        bytes,
        uploads: total,
        jsMs: ms(median.jsMs / uploads),
        jsRangeMs: { min: ms(perUpload[0]), max: ms(perUpload[perUpload.length - 1]) },
        gcMs: ms(median.gcMs / uploads),
        processMs: Number(processMs.toFixed(1)),
        wallMsPerUpload: Number((wall / total).toFixed(1)),
        verified: copiesInLibrary(emulator, hash, bytes) - before === total,
        periodUs: median.periodUs,
        samples: median.samples,
        top: median.top,
      });
    }
  } finally {
    if (prioritized) setThreadsPriority(host.pids, 0);
    profiler.close();
  }
  return { rows, prioritized };
}
