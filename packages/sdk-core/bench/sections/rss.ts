/**
 * Section 3 (`rss`): peak RSS growth of a streamed sdk.write of 64 MiB and of 1 GiB, and of a
 * 1 GiB sdk.pushData (bench/rss-child.ts, fresh processes), against the target of under 128 MiB.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { children } from "../harness.ts";
import { BenchError, check, fmt, GiB, MiB, mbps, mib, ratio, table } from "../lib.ts";
import { checkDelivery, type Sink } from "../sink-client.ts";

const RSS_SIZES = [64 * MiB, 1 * GiB];
const PUSH_RSS_SIZES = [1 * GiB];
const RSS_TARGET = 128 * MiB;

/** One fresh process's write (or push, or fetch alone) of `bytes`: its time and RSS growth. */
function runRssChild(sink: Sink, bytes: number, call: "write" | "push" | "raw" = "write") {
  const child = spawn(
    process.execPath,
    [
      "--expose-gc",
      fileURLToPath(new URL("../rss-child.ts", import.meta.url)),
      sink.url,
      String(bytes),
      call,
    ],
    { stdio: ["ignore", "pipe", "inherit"], timeout: 120_000 },
  );
  children.add(child);
  return new Promise<{ base: number; peak: number; growth: number; ms: number }>((resolve, reject) => {
    let out = "";
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (d) => {
      out += d;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      children.delete(child);
      if (code !== 0) return reject(new BenchError(`the RSS child failed (${code ?? signal})`));
      resolve(JSON.parse(out.trim().split("\n").at(-1) as string));
    });
  });
}

export async function benchRss(sink: Sink) {
  const rows: string[][] = [];
  /** One row of the table: a run's time, speed and RSS growth against the target. */
  const row = (
    label: string,
    bytes: number,
    r: { ms: number; base: number; growth: number },
    verdict = true,
  ) =>
    rows.push([
      label,
      fmt(r.ms / 1000, 2),
      fmt(mbps(bytes, r.ms)),
      mib(r.base),
      mib(r.growth),
      ratio(r.growth, RSS_TARGET),
      !verdict ? "" : r.growth < RSS_TARGET ? "ok" : "OVER TARGET",
    ]);
  for (const bytes of RSS_SIZES) {
    const r = await runRssChild(sink, bytes);
    await checkDelivery(sink, `${mib(bytes, 0)} RSS write`, "verify", bytes);
    row(`sdk.write ${bytes >= GiB ? `${bytes / GiB} GiB` : mib(bytes, 0)}`, bytes, r);
  }
  for (const bytes of PUSH_RSS_SIZES) {
    const r = await runRssChild(sink, bytes, "push");
    const report = await sink.last();
    check(report?.mode === "verify" && report.errors.length === 0, `RSS push: ${report?.errors.join("; ")}`);
    check(report.bodyBytes === bytes, `RSS push: the sink got ${report.bodyBytes} bytes`);
    row(`sdk.pushData ${bytes / GiB} GiB`, bytes, r);
  }
  // The platform's own share: the same stream posted by fetch alone (no SDK) to the same endpoint.
  for (const bytes of PUSH_RSS_SIZES) {
    const r = await runRssChild(sink, bytes, "raw");
    const report = await sink.last();
    check(
      report?.mode === "verify" && report.bodyBytes === bytes,
      `RSS raw fetch: the sink got ${report?.bodyBytes}`,
    );
    row(`  for scale: fetch alone, the same ${bytes / GiB} GiB stream`, bytes, r, false);
  }
  table(
    "3. Peak RSS growth during a streamed sdk.write (fresh process each; sampled every 50 ms and every 16 chunks)",
    ["write", "s", "MB/s", "RSS before", "peak growth", "of 128 MiB", "target < 128 MiB"],
    rows,
    [
      "RSS before = after a 4 MiB warm-up write and gc(). Each file verified by the sink (decrypted in full).",
      "The input is fresh 64 KiB chunks, garbage once sent: most of the growth is that garbage awaiting",
      "V8's collection, as the fetch-alone row shows; it varies from run to run with the GC's timing.",
    ],
  );
}
