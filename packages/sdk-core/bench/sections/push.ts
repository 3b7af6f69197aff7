/**
 * Section 2b (`push`): a 64 MiB streamed sdk.pushData (library import) versus a raw node:http
 * request of the same bytes (JWTs made with node:crypto) to the same sink, both reading the same
 * kind of source (a web ReadableStream of fresh 64 KiB chunks); fetch alone and node:http from an
 * async generator for scale.
 */
import { nodePushFetch, nodePushHttp } from "../baselines.ts";
import { interleaved, pairedRatio, pairedSpread, type Timing, timingRow } from "../harness.ts";
import { APPLICATION_ID, check, MiB, mib, patternChunks, patternStream, pushOptions, table } from "../lib.ts";
import type { Sink } from "../sink-client.ts";

const PUSH_SIZE = 64 * MiB;
const PUSH_RUNS = 21; // runs of about 0.1 s: more of them, so that a busy machine's noise evens out
const TARGET = 0.95;

type Mode = "drain" | "verify";

/** Prints table 2b. */
export async function benchPush(sink: Sink) {
  const { init } = await import("@digime-edge/sdk-core");
  const origin = new URL(sink.url).origin;
  const base = { drain: sink.url, verify: `${origin}/verify/v1.7/` };
  const sdks = {
    drain: init({ applicationId: APPLICATION_ID, baseUrl: base.drain, retry: false }),
    verify: init({ applicationId: APPLICATION_ID, baseUrl: base.verify, retry: false }),
  };
  const url = (mode: Mode) => `${base[mode]}permission-access/import`;
  const variants = {
    http: (mode: Mode) => nodePushHttp(url(mode), () => patternStream(PUSH_SIZE)),
    sdk: async (mode: Mode) => {
      await sdks[mode].pushData(pushOptions(patternStream(PUSH_SIZE)));
    },
    fetch: (mode: Mode) => nodePushFetch(url(mode), patternStream(PUSH_SIZE)),
    httpIterable: (mode: Mode) => nodePushHttp(url(mode), () => patternChunks(PUSH_SIZE)),
  };
  const checked = async (what: string, mode: Mode) => {
    const report = await sink.last();
    check(report !== null && report.mode === mode, `${what}: the sink saw no ${mode} import`);
    check(report.errors.length === 0, `${what}: the sink found: ${report.errors.join("; ")}`);
    check(report.bodyBytes === PUSH_SIZE, `${what}: ${report.bodyBytes} bytes, expected ${PUSH_SIZE}`);
  };
  // Once each, untimed: the sink verifies both JWTs and the whole body against the pattern.
  for (const [name, send] of Object.entries(variants)) {
    await send("verify");
    await checked(`${name} push`, "verify");
  }
  const t = await interleaved(
    PUSH_RUNS,
    {
      http: () => variants.http("drain"),
      sdk: () => variants.sdk("drain"),
      fetch: () => variants.fetch("drain"),
      httpIterable: () => variants.httpIterable("drain"),
    },
    (name) => checked(`${name} push`, "drain"),
  );
  const row = (name: string, timing: Timing) => timingRow(name, timing, PUSH_SIZE, [t.http]);
  // Throughput over the baseline's: its time over ours, run by run.
  const paired = 1 / pairedRatio(t.sdk, t.http);
  table(
    "2b. sdk.pushData (library) versus a raw node:http request of the same bytes from the same kind of " +
      "source, to the same local sink (each verified once: both JWTs, the whole body against the pattern)",
    ["variant", "ms", "CPU ms", "MB/s", "vs node:http"],
    [
      [`${mib(PUSH_SIZE, 0)}, fresh 64 KiB chunks, median of ${PUSH_RUNS}`, "", "", "", ""],
      row("  node:crypto JWTs + node:http, from a ReadableStream (baseline)", t.http),
      row("  sdk.pushData(ReadableStream)", t.sdk),
      row("  for scale: fetch alone, the same ReadableStream and JWTs", t.fetch),
      row("  for scale: node:http from an async generator (no web stream)", t.httpIterable),
    ],
    [
      "All bodies streamed (chunked); the sink reads them in its own process. Every timed push checked",
      "(all its bytes arrived); each variant's content verified once against the pattern. Runs interleaved,",
      "the order turned around every round; the ratio is the median of each round's pair.",
      `Target: throughput >= ${TARGET.toFixed(2)}x the raw request's: ${paired.toFixed(2)}x ` +
        `${paired >= TARGET ? "ok" : "UNDER"} (middle half of the rounds: ` +
        `${pairedSpread(t.sdk, t.http, "ms", true)}; CPU ${pairedSpread(t.sdk, t.http, "cpuMs")} of the baseline's).`,
      ...PUSH_NOTES,
    ],
  );
}

/** What was found about the push's ratio (measured on 2 cores, other engineers' suites running). */
const PUSH_NOTES = [
  "Why the bench showed 0.78-0.81x where the three alone showed 0.92-1.09x (not pinned to one cause):",
  "runs of 0.05-0.2 s on a loaded machine wait on the sink and on the shared CPUs (in one full run the",
  "raw request took 156 ms on 48 ms of CPU, 48 ms when run alone); the old baseline read an async",
  "generator where sdk.pushData read a web ReadableStream (a web stream costs node:http 5 ms more CPU",
  "per 64 MiB: 59-62 against 53-58 ms); both always ran in the same order. Fixed here: the same kind of",
  "source for both, the order turned around every round, the ratio taken round by round, its spread",
  "printed. Left: interleaved, sdk.pushData takes 10-13 ms more CPU than fetch alone with the same",
  "stream; run 40 times alone, 51 against 47.5 ms (its two PS512 signatures, one stream layer of about",
  "0.5 us per chunk; the socket writes, the pattern and the GC of its chunks are most of both).",
];
