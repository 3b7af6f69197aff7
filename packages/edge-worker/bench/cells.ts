/**
 * Table 1 of `pnpm bench`: uploads of each mode and size at each concurrency, straight from Node
 * with sdk-core and through each Worker host, measured in interleaved slices and verified.
 */
import { randomBytes } from "node:crypto";
import type { RunningEmulator } from "@digime-edge/emulator";
import type { DirectClient, WorkerSession } from "./clients.ts";
import type { WorkerHost } from "./hosts.ts";
import { type CellResult, type Contender, measureInterleaved, sha256 } from "./measure.ts";
import { MODES, sendToWorker, type WriteApi } from "./modes.ts";

/** What runs one write API: its Worker's sessions (one per host) and the direct client. */
export interface Group {
  /** The Worker under Miniflare and a session on it (profiled). */
  miniflare: WorkerSession;
  /** A session per host measured in table 1. */
  sessions: WorkerSession[];
  direct: DirectClient;
  /** The direct client with its requests sent through the forwarding floor (`floors.ts`). */
  forwarded?: { client: DirectClient; host: WorkerHost } | undefined;
}

/** One row of table 1: a mode, a size and a concurrency, directly and through each host. */
export interface Row {
  mode: string;
  bytes: number;
  concurrency: number;
  direct: CellResult;
  /** The same direct writes through the forwarding floor (one workerd hop, none of our code). */
  forwarder?: CellResult;
  /** By host label (`miniflare`, `wrangler dev`). */
  worker: Record<string, CellResult>;
}

/** How table 1 is measured. */
export interface CellPlan {
  sizes: number[];
  levels: number[];
  /** Seconds per cell, over `rounds` interleaved slices. */
  seconds: number;
  rounds: number;
}

/** The Worker's added cost allowed at concurrency 32 (direct uploads/s over the Worker's). */
export const TARGET_RATIO = 1.3;

/** `bytes` as the tables print it (64 KiB, 4 MiB). */
export const size = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`;

/** `n` to one decimal, as the notes and table 2 print a growth (no "-0.0"). */
export const tenths = (n: number) => (Math.abs(n) < 0.05 ? 0 : n).toFixed(1);

/** Random bytes: a file of `bytes`, different each time (its copies count one cell's uploads). */
export const randomFile = (bytes: number) => new Uint8Array(randomBytes(bytes));

/**
 * Every mode, size and level, direct writes and each Worker host measured in interleaved slices.
 * A fresh file per mode and size, so the library's copies of it count this cell's uploads.
 */
export async function uploadCells(
  groups: Map<WriteApi, Group>,
  emulator: RunningEmulator,
  plan: CellPlan,
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const bytes of plan.sizes) {
    for (const mode of MODES) {
      const { sessions, direct, forwarded } = groups.get(mode.writeApi) as Group;
      const data = randomFile(bytes);
      const verify = { emulator, hash: sha256(data), size: bytes };
      const contenders: Contender[] = [{ task: await mode.direct(data, direct) }];
      if (forwarded)
        contenders.push({ task: await mode.direct(data, forwarded.client), cpu: () => forwarded.host.cpu() });
      for (const session of sessions) {
        const upload = await mode.toWorker(data, session);
        contenders.push({
          task: () => sendToWorker(session, mode.route, upload),
          cpu: () => session.host.cpu(),
        });
      }
      for (const c of contenders) await c.task(); // warm-up
      for (const concurrency of plan.levels) {
        const [d, ...others] = await measureInterleaved(
          contenders,
          concurrency,
          plan.seconds,
          plan.rounds,
          verify,
        );
        const f = forwarded ? others.shift() : undefined;
        const w = others;
        rows.push({
          mode: mode.name,
          bytes,
          concurrency,
          direct: d as CellResult,
          ...(f ? { forwarder: f } : {}),
          worker: Object.fromEntries(sessions.map((session, i) => [session.host.label, w[i] as CellResult])),
        });
      }
    }
  }
  return rows;
}
