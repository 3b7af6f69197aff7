/**
 * The Worker's own JavaScript CPU time, from a V8 CPU profile of its isolate in workerd, taken
 * through workerd's inspector (Chrome DevTools Protocol: `Profiler.start` / `Profiler.stop`).
 *
 * What is counted: every sample whose top frame is a JavaScript function of the isolate (the
 * Worker's code, Hono, sdk-core, the Durable Object's code, which shares the isolate here, and
 * native functions called from JavaScript such as `crypto.subtle.encrypt` or `sign`), plus
 * `(garbage collector)`. Not counted: `(idle)`, `(program)` (the thread outside JavaScript) and
 * `(root)`: workerd's C++ moving bytes between sockets and streams outside any JavaScript call is
 * not the Worker's JavaScript.
 *
 * How long a sample stands for: workerd's sampler ticks regularly (about every 175 µs here for a
 * requested 100 µs) but records a sample only while the thread is in the isolate, so the time
 * between samples is a whole number of ticks, and the gaps while the isolate waits (for the
 * network) are long deltas after the last sample before them. DevTools' rule (a sample lasts until
 * the next) would count those waits as JavaScript; here every sample counts one tick instead.
 */

import { readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { join } from "node:path";

/** A V8 CPU profile (`Profiler.Profile`), the parts read here. */
export interface Profile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Where a profile's time went, in ms. */
export interface CpuSummary {
  /** JavaScript, garbage collection included: what is counted as the Worker's JS CPU. */
  jsMs: number;
  /** Of which garbage collection. */
  gcMs: number;
  /** `(program)`: the thread in the isolate but outside JavaScript. */
  programMs: number;
  /** `(idle)`. */
  idleMs: number;
  /** The profile's length. */
  wallMs: number;
  /** What one sample stands for, in µs. */
  periodUs: number;
  samples: number;
  /** The functions with the most self time, `name (file:line) ms`. */
  top: string[];
}

const NOT_JS = new Set(["(idle)", "(program)", "(root)"]);

/**
 * The sampler's tick, in µs: deltas between samples cluster at whole numbers of ticks, so the tick
 * is the shortest cluster (10 µs bins) holding at least a fifth as many deltas as the commonest,
 * refined to the median of the deltas within 20% of it (see the module comment).
 */
function samplingPeriod(deltas: number[], fallback: number): number {
  const bins = new Map<number, number>();
  for (const d of deltas)
    if (d > 0 && d < 1000) bins.set(Math.round(d / 10), (bins.get(Math.round(d / 10)) ?? 0) + 1);
  const most = Math.max(0, ...bins.values());
  const shortest = [...bins.entries()].filter(([, n]) => n >= most / 5).sort((a, b) => a[0] - b[0])[0];
  if (!shortest) return fallback;
  const center = shortest[0] * 10;
  const near = deltas.filter((d) => Math.abs(d - center) <= center * 0.2).sort((a, b) => a - b);
  return near[Math.floor(near.length / 2)] ?? center;
}

/**
 * Where a frame of the bundle `bundleDir/index.js` comes from, by its source map
 * (`src/lib/upload.ts:212`), for the functions with the most self time.
 */
export function sourceLocator(bundleDir: string): (frame: Profile["nodes"][number]["callFrame"]) => string {
  const map = new SourceMap(JSON.parse(readFileSync(join(bundleDir, "index.js.map"), "utf8")));
  return (frame) => {
    if (!frame.url) return "";
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as {
      originalSource?: string;
      originalLine?: number;
    };
    if (!entry.originalSource) return `${frame.url.split("/").pop()}:${frame.lineNumber + 1}`;
    const source = entry.originalSource.replace(/^.*?\/(packages|node_modules)\//, "$1/");
    return `${source}:${(entry.originalLine ?? 0) + 1}`;
  };
}

/** Sums a profile's samples by kind (see the module comment for what counts as JavaScript). */
export function summarize(
  profile: Profile,
  where: (frame: Profile["nodes"][number]["callFrame"]) => string = (f) =>
    f.url ? `${f.url.split("/").pop()}:${f.lineNumber + 1}` : "",
  requestedIntervalUs = 100,
): CpuSummary {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const samples = profile.samples ?? [];
  const period = samplingPeriod(profile.timeDeltas ?? [], requestedIntervalUs);
  const self = new Map<string, number>();
  let js = 0;
  let gc = 0;
  let program = 0;
  let idle = 0;
  for (const id of samples) {
    const frame = nodes.get(id);
    const name = frame?.functionName ?? "(root)";
    if (name === "(idle)") idle++;
    else if (name === "(program)") program++;
    else if (!NOT_JS.has(name)) {
      js++;
      if (name === "(garbage collector)") gc++;
      const at = frame ? where(frame) : "";
      const key = `${name || "(anonymous)"}${at ? ` (${at})` : ""}`;
      self.set(key, (self.get(key) ?? 0) + 1);
    }
  }
  const ms = (count: number) => (count * period) / 1000;
  const top = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([key, count]) => `${key} ${ms(count).toFixed(1)} ms`);
  return {
    jsMs: ms(js),
    gcMs: ms(gc),
    programMs: ms(program),
    idleMs: ms(idle),
    wallMs: (profile.endTime - profile.startTime) / 1000,
    periodUs: period,
    samples: samples.length,
    top,
  };
}

/** A DevTools protocol session with one isolate of workerd's inspector. */
export interface Profiler {
  /** Starts sampling (every `intervalUs` µs). */
  start(intervalUs?: number): Promise<void>;
  /** Stops sampling and returns the profile (DevTools opens it saved as `.cpuprofile`). */
  stop(): Promise<Profile>;
  close(): void;
}

/**
 * Connects to the isolate `target` (e.g. `core:user:<worker name>`) of the workerd inspector on
 * 127.0.0.1:`port`.
 */
export async function connectProfiler(port: number, target: string): Promise<Profiler> {
  const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
    id: string;
    webSocketDebuggerUrl: string;
  }[];
  const entry = list.find((t) => t.id === target);
  if (!entry) throw new Error(`no inspector target ${target} (have ${list.map((t) => t.id).join(", ")})`);
  const ws = new WebSocket(entry.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error(`cannot connect to ${entry.webSocketDebuggerUrl}`)), {
      once: true,
    });
  });
  let lastId = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  ws.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
    };
    const waiter = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id as number);
    if (message.error) waiter.reject(new Error(message.error.message));
    else waiter.resolve(message.result);
  });
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++lastId;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  return {
    async start(intervalUs = 100) {
      await send("Profiler.setSamplingInterval", { interval: intervalUs });
      await send("Profiler.start");
    },
    async stop() {
      const { profile } = (await send("Profiler.stop")) as { profile: Profile };
      return profile;
    },
    close: () => ws.close(),
  };
}
