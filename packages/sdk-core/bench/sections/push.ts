/**
 * Section 2b (`push`): a 64 MiB streamed sdk.pushData (library import) versus a raw node:http
 * request of the same bytes (JWTs made with node:crypto) to the same sink.
 */
import { nodePushHttp } from "../baselines.ts";
import { interleaved, type Timing, timingRow } from "../harness.ts";
import { APPLICATION_ID, check, MiB, mib, patternStream, pushOptions, table } from "../lib.ts";
import type { Sink } from "../sink-client.ts";

const PUSH_SIZE = 64 * MiB;
const PUSH_RUNS = 15; // runs of about 0.1 s: more of them, so that a busy machine's noise evens out

/** Prints table 2b. */
export async function benchPush(sink: Sink) {
  const { init } = await import("@digime-edge/sdk-core");
  const origin = new URL(sink.url).origin;
  const base = { drain: sink.url, verify: `${origin}/verify/v1.7/` };
  const sdks = {
    drain: init({ applicationId: APPLICATION_ID, baseUrl: base.drain, retry: false }),
    verify: init({ applicationId: APPLICATION_ID, baseUrl: base.verify, retry: false }),
  };
  const variants = {
    http: (mode: "drain" | "verify") => nodePushHttp(`${base[mode]}permission-access/import`, PUSH_SIZE),
    sdk: async (mode: "drain" | "verify") => {
      await sdks[mode].pushData(pushOptions(patternStream(PUSH_SIZE)));
    },
  };
  const checked = async (what: string, mode: "drain" | "verify") => {
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
    { http: () => variants.http("drain"), sdk: () => variants.sdk("drain") },
    (name) => checked(`${name} push`, "drain"),
  );
  const row = (name: string, timing: Timing) => timingRow(name, timing, PUSH_SIZE, [t.http]);
  table(
    "2b. sdk.pushData (library) versus a raw node:http request of the same bytes, to the same local sink " +
      "(each verified once: both JWTs, the whole body against the pattern)",
    ["variant", "ms", "CPU ms", "MB/s", "vs node:http"],
    [
      [`${mib(PUSH_SIZE, 0)} from a ReadableStream (64 KiB chunks), median of ${PUSH_RUNS}`, "", "", "", ""],
      row("  node:crypto JWTs + node:http, raw body (baseline)", t.http),
      row("  sdk.pushData", t.sdk),
    ],
    [
      "Both bodies streamed (chunked); the sink reads them in its own process. Every timed push checked",
      "(all its bytes arrived); each variant's content verified once against the pattern.",
      `Target: throughput >= 0.95x the raw request's: ${(t.http.ms / t.sdk.ms).toFixed(2)}x ` +
        `${t.http.ms / t.sdk.ms >= 0.95 ? "ok" : "UNDER"}.`,
    ],
  );
}
