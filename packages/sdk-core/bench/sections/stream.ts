/**
 * Section 2a (`stream`): a 512 MiB streamed sdk.write versus the official SDK's Node-stream path
 * rebuilt (`createCipheriv` piped into a multipart node:http request), every run decrypted by
 * the sink: wall and client CPU against targets of 1.00x.
 */
import { availableParallelism } from "node:os";
import { officialStyleWrite } from "../baselines.ts";
import { costRatio, interleaved, loadAverage, type Timing } from "../harness.ts";
import { APPLICATION_ID, check, fmt, MiB, mbps, mib, patternStream, table, writeOptions } from "../lib.ts";
import { checkDelivery, type Sink } from "../sink-client.ts";

const STREAM_SIZE = 512 * MiB;
const STREAM_RUNS = 5;

/** Prints table 2a. */
export async function benchStream(sink: Sink) {
  const { init } = await import("@digime-edge/sdk-core");
  const sdk = init({ applicationId: APPLICATION_ID, baseUrl: sink.url, retry: false });
  const url = `${sink.url}permission-access/postbox/verify`;
  const variants = {
    official: () => officialStyleWrite(url, STREAM_SIZE),
    sdk: async () => {
      const result = await sdk.write(writeOptions("verify", patternStream(STREAM_SIZE)));
      check(result.status === "delivered", `sdk.write answered ${result.status}`);
    },
  };
  // Every run, the warm-up included, is verified: the sink checks the JWT, unwraps the key and
  // decrypts the whole file against the pattern, in its own process, as the bytes arrive.
  const verify = (name: string) => checkDelivery(sink, `${name} 512 MiB write`, "verify", STREAM_SIZE);
  for (const [name, send] of Object.entries(variants)) {
    await send();
    await verify(name);
  }
  const load = loadAverage();
  const t = await interleaved<keyof typeof variants>(STREAM_RUNS, variants, verify);
  const row = (name: string, { ms, cpuMs }: Timing) => [
    name,
    fmt(ms, 0),
    fmt(cpuMs, 0),
    fmt(mbps(STREAM_SIZE, ms)),
    costRatio(ms, t.official.ms, 1),
    costRatio(cpuMs, t.official.cpuMs, 1),
  ];
  table(
    `2a. A streamed write of ${mib(STREAM_SIZE, 0)} (64 KiB chunks in), versus the official SDK's Node-stream ` +
      `path rebuilt (median of ${STREAM_RUNS} interleaved runs, every run verified: the sink decrypts the whole file)`,
    ["variant", "ms", "client CPU ms", "MB/s", "wall vs official", "CPU vs official"],
    [
      row("official-style: Readable | createCipheriv | multipart | node:http (baseline)", t.official),
      row("sdk.write(ReadableStream)", t.sdk),
    ],
    [
      "Targets: wall <= 1.00x and client CPU <= 1.00x. Client CPU: process.cpuUsage() of this process",
      "(user + system, all threads: WebCrypto runs on libuv's pool); the sink decrypts in its own process.",
      `Load average: ${load} before, ${loadAverage()} after (${availableParallelism()} cores).`,
      ...STREAM_NOTES,
    ],
  );
}

/** What was tried for the streamed write, and where its floor is (measured on 2 cores). */
const STREAM_NOTES = [
  "The floor: WebCrypto's AES-CBC of 512 MiB in 1 MiB calls costs about 750-800 ms of CPU alone, against",
  "about 580 ms for createCipheriv's 64 KiB updates: WebCrypto copies each input into fresh memory,",
  "allocates each output and hands each call to a pool thread. The client takes about 35,000 more minor",
  "page faults per 512 MiB than the baseline (/proc/<pid>/stat: 80,000 against 45,000), about 0.1-0.2 s",
  "more system CPU. Done: the file's chunks go straight into 1 MiB WebCrypto calls (no TransformStream,",
  "no ReadableStream per 64 KiB chunk: CPU from 1.58x to 1.25-1.45x here), each piece encrypted while",
  "the one before is sent. Tried and left: 64 KiB, 128 KiB, 256 KiB and 4 MiB calls (1 MiB is best or",
  "level). With a sink that only reads (no decryption), the same write measured 1.0-1.2x CPU: with the",
  "sink decrypting, three busy threads (main, pool, sink) share 2 cores and the hand-offs cost more.",
];
