/**
 * `pnpm bench [section…]` for sdk-core: each number next to a baseline measured in the same run
 * (node:crypto) or a target. It fails (exit 1) only when something is wrong (a request that does
 * not verify or decrypt, a ciphertext that differs from node:crypto's), never because a number is
 * slow or big. The sections, one file each in `sections/`, in the order they run:
 *
 *   envelope  1. AES-256-CBC of 64 MiB: createCbcEncryptStream and encryptCbc versus createCipheriv.
 *   stream    2a. A 512 MiB streamed sdk.write versus the official SDK's Node-stream path rebuilt,
 *             every run decrypted by the sink: wall and client CPU against targets of 1.00x; and
 *             its floor, the cipher alone: crypto.subtle in sdk-core's calls versus createCipheriv.
 *   write     2. A 64 MiB streamed sdk.write versus the same request hand-built with node:crypto
 *             (node:http and fetch); 2c. the per-write cost of 1 KiB writes against the same
 *             baseline and its floor, the same request hand-built on crypto.subtle.
 *   push      2b. A 64 MiB streamed sdk.pushData versus a raw node:http request of the same bytes.
 *   rss       3. Peak RSS growth of streamed writes and pushes (fresh processes) against 128 MiB.
 *   sign      4. PS512 signatures per second: signJwt versus node:crypto.sign.
 *   base64    4b. base64 and base64url of 16 MiB, both ways, versus Buffer.
 *   size      5. Minified+gzipped size of what `write` and `pushData` pull in, against budgets.
 *
 * The sink (bench/sink.ts) is its own process. Uses dist/ (the package by name, as users import
 * it), built first when older than src/; the internals that are not exported (sections 1 and 4)
 * are bundled from src/ with esbuild.
 */
import { availableParallelism, cpus } from "node:os";
import { agent } from "./baselines.ts";
import { ensureBuilt, loadInternals, stopChildren } from "./harness.ts";
import { BenchError, fmt } from "./lib.ts";
import { benchBase64 } from "./sections/base64.ts";
import { benchEnvelope } from "./sections/envelope.ts";
import { benchPush } from "./sections/push.ts";
import { benchRss } from "./sections/rss.ts";
import { benchSign } from "./sections/sign.ts";
import { benchSize } from "./sections/size.ts";
import { benchStream } from "./sections/stream.ts";
import { benchWrite } from "./sections/write.ts";
import { startSink } from "./sink-client.ts";

const SECTIONS = ["envelope", "stream", "write", "push", "rss", "sign", "base64", "size"];

async function main() {
  const started = performance.now();
  ensureBuilt();
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  console.log(
    `sdk-core bench: Node ${process.version}, ${availableParallelism()} cores (${cpu.trim()}), ` +
      `UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? "4 (default)"}`,
  );
  console.log("Ratios are throughput over the baseline's: above 1.00x is faster than the baseline.");
  // `pnpm bench [section…]` runs only the sections named; none: all.
  const asked = new Set(process.argv.slice(2));
  const unknown = [...asked].filter((name) => !SECTIONS.includes(name));
  if (unknown.length > 0)
    throw new BenchError(`unknown section ${unknown[0]}; sections: ${SECTIONS.join(", ")}`);
  const run = (name: string) => asked.size === 0 || asked.has(name);
  const internals = run("envelope") || run("sign") || run("base64") ? await loadInternals() : undefined;
  const sink = run("stream") || run("write") || run("push") || run("rss") ? await startSink() : undefined;
  if (internals && run("envelope")) await benchEnvelope(internals);
  if (sink && run("stream")) await benchStream(sink);
  if (sink && run("write")) await benchWrite(sink);
  if (sink && run("push")) await benchPush(sink);
  if (sink && run("rss")) await benchRss(sink);
  if (internals && run("sign")) await benchSign(internals);
  if (internals && run("base64")) await benchBase64(internals);
  if (run("size")) await benchSize();
  console.log(`\nAll results checked. ${fmt((performance.now() - started) / 1000, 1)} s in all.`);
}

process.on("SIGINT", () => {
  stopChildren();
  process.exit(130);
});

try {
  await main();
} catch (error) {
  console.error(`\nbench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  stopChildren();
  agent.destroy();
}
