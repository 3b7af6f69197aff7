/**
 * CPU time of processes from Linux's `/proc`: the workerd processes that run the Worker (under
 * Miniflare or `wrangler dev`), told apart from `wrangler dev`'s proxy in front of it.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { setPriority } from "node:os";

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** `comm`, parent pid and user+system CPU ticks of a process, from `/proc/<pid>/stat`. */
function procStat(pid: number): { comm: string; ppid: number; ticks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const open = text.indexOf("(");
    const close = text.lastIndexOf(")");
    const rest = text.slice(close + 2).split(" ");
    return {
      comm: text.slice(open + 1, close),
      ppid: Number(rest[1]),
      ticks: Number(rest[11]) + Number(rest[12]),
    };
  } catch {
    return undefined;
  }
}

/** The pids of the `workerd` processes below `root`. */
export function workerdPids(root: number): number[] {
  const children = new Map<number, number[]>();
  const names = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = procStat(pid);
    if (!stat) continue;
    names.set(pid, stat.comm);
    children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    if (names.get(pid) === "workerd") found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/**
 * The `workerd` processes below `root` (wrangler dev's process group): the one that runs the
 * Worker, and the proxy in front of it that listens on the public port (a wrangler dev artefact:
 * no such hop in production), told apart by their command lines.
 */
export function wranglerDevProcesses(root: number, port: number): { runtime: number[]; proxy: number[] } {
  const runtime: number[] = [];
  const proxy: number[] = [];
  for (const pid of workerdPids(root)) {
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
    } catch {
      continue;
    }
    (cmdline.includes(`entry=127.0.0.1:${port} `) ? proxy : runtime).push(pid);
  }
  return { runtime, proxy };
}

/** CPU seconds (user + system) the given processes have used so far. */
export function cpuSeconds(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + (procStat(pid)?.ticks ?? 0), 0) / TICKS_PER_SECOND;
}

/**
 * Sets the scheduling priority (nice value) of every thread of the given processes; returns
 * whether it could (raising priority takes root or CAP_SYS_NICE).
 */
export function setThreadsPriority(pids: number[], priority: number): boolean {
  try {
    for (const pid of pids) {
      for (const tid of readdirSync(`/proc/${pid}/task`)) setPriority(Number(tid), priority);
    }
    return true;
  } catch {
    return false;
  }
}
