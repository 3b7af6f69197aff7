/**
 * Section 2 (`write`): a 64 MiB streamed sdk.write versus the same request hand-built with
 * node:crypto and sent with node:http and with fetch, all to one local sink; and the per-write
 * cost of 1 KiB writes.
 */
import { nodeWriteFetch, nodeWriteHttp } from "../baselines.ts";
import {
  costRatio,
  interleaved,
  loadAverage,
  median,
  opsRounds,
  RUNS,
  type Timing,
  timingRow,
} from "../harness.ts";
import {
  APPLICATION_ID,
  check,
  fmt,
  KiB,
  kib,
  MiB,
  mib,
  patternChunk,
  patternStream,
  table,
  writeOptions,
} from "../lib.ts";
import { checkDelivery, type Sink } from "../sink-client.ts";

const WRITE_SIZE = 64 * MiB;
const SMALL_SIZE = 1 * KiB;
const SMALL_MS = 4000;
const SMALL_ROUNDS = 21; // short interleaved rounds: other load on the machine falls on both alike

/** Prints table 2. */
export async function benchWrite(sink: Sink) {
  const { init } = await import("@digime-edge/sdk-core");
  const sdk = init({ applicationId: APPLICATION_ID, baseUrl: sink.url, retry: false });
  const sdkWrite = async (postboxId: string) => {
    const result = await sdk.write(writeOptions(postboxId, patternStream(WRITE_SIZE)));
    check(result.status === "delivered", `sdk.write answered ${result.status}`);
  };
  const variants = {
    http: (mode: string) => nodeWriteHttp(`${sink.url}permission-access/postbox/${mode}`, WRITE_SIZE),
    fetch: (mode: string) => nodeWriteFetch(`${sink.url}permission-access/postbox/${mode}`, WRITE_SIZE),
    sdk: sdkWrite,
  };
  // Once each, untimed: the sink verifies the JWT and decrypts the whole file against the pattern.
  for (const [name, send] of Object.entries(variants)) {
    await send("verify");
    await checkDelivery(sink, `${name} write`, "verify", WRITE_SIZE);
  }
  const t = await interleaved(
    RUNS,
    {
      fetch: () => variants.fetch("drain"),
      http: () => variants.http("drain"),
      sdk: () => variants.sdk("drain"),
    },
    (name) => checkDelivery(sink, `${name} write`, "drain", WRITE_SIZE),
  );
  const row = (name: string, timing: Timing) => timingRow(name, timing, WRITE_SIZE, [t.fetch, t.http]);

  // Small files: the fixed cost of one write (keys cached, connection kept alive), one at a time.
  const small = patternChunk(0, SMALL_SIZE);
  const sdkSmall = async (postboxId: string) => {
    const result = await sdk.write(writeOptions(postboxId, small));
    check(result.status === "delivered", `sdk.write answered ${result.status}`);
  };
  const nodeSmall = (postboxId: string) =>
    nodeWriteFetch(`${sink.url}permission-access/postbox/${postboxId}`, SMALL_SIZE);
  for (const [name, send] of Object.entries({ "node fetch small": nodeSmall, "sdk small": sdkSmall })) {
    await send("verify");
    await checkDelivery(sink, `${name} write`, "verify", SMALL_SIZE);
  }
  const load = loadAverage();
  const rounds = await opsRounds(
    {
      node: { concurrency: 1, op: () => nodeSmall("drain") },
      sdk: { concurrency: 1, op: () => sdkSmall("drain") },
    },
    SMALL_MS,
    SMALL_ROUNDS,
  );
  const [node, ours] = [rounds.node, rounds.sdk] as [number[], number[]];
  // Time per write over the hand-built one's, round by round (the two ran side by side).
  const cost = median(ours.map((perSecond, i) => (node[i] as number) / perSecond));
  const smallRow = (name: string, perSecond: number[], paired: number) => [
    name,
    fmt(1000 / median(perSecond), 2),
    "",
    "",
    `${paired.toFixed(2)}x`,
    "",
  ];

  table(
    `2. sdk.write versus the same request built with node:crypto, to a local sink (each variant verified once: ` +
      "JWT, key unwrap, full decryption against the pattern)",
    ["variant", "ms", "CPU ms", "MB/s", "vs node fetch", "vs node:http"],
    [
      [`${mib(WRITE_SIZE, 0)} from a ReadableStream (64 KiB chunks), median of ${RUNS}`, "", "", "", "", ""],
      row("  node:crypto + fetch, hand-built (baseline)", t.fetch),
      row("  node:crypto + node:http, hand-built", t.http),
      row("  sdk.write", t.sdk),
      [
        `${kib(SMALL_SIZE, 0)} from bytes, one write at a time (per-write cost), median of ${SMALL_ROUNDS} rounds`,
        "",
        "",
        "",
        "",
        "",
      ],
      smallRow("  node:crypto + fetch, hand-built (baseline)", node, 1),
      smallRow("  sdk.write", ours, 1 / cost),
    ],
    [
      "Same envelope, PS512 JWT and multipart body; the 64 MiB bodies are streamed (chunked). CPU ms: the",
      "client process, all threads (the sink runs in its own process). Each variant verified once, then",
      "every timed write reported `delivered` by the sink, which checks the framing and the sizes.",
      `${kib(SMALL_SIZE, 0)} write, time per write against the hand-built one: ` +
        `${costRatio(cost, 1.1)} (target <= 1.10x; the median of each round's pair).`,
      `Load average: ${load} before the 1 KiB rounds, ${loadAverage()} after (each WebCrypto job waits for a`,
      "pool thread to be scheduled: the busier the machine, the more the SDK's per-write cost grows).",
      ...SMALL_WRITE_NOTES,
    ],
  );
}

/** Where a small write's time goes (node --cpu-prof, and each step timed alone, fetch stubbed). */
const SMALL_WRITE_NOTES = [
  "Where the time goes (CPU per write before fetch, each step timed alone): the hand-built write 0.30 ms",
  "(PS512 signature 0.25 ms; wrap and AES synchronous, 0.03-0.04 ms). sdk.write 0.55-0.63 ms: the contract",
  "key's cache lookup 0.04-0.05 ms (a SHA-256 on the pool, now gone: the key is found by the caller's",
  "contractDetails object; 1.39-1.55x -> 1.10-1.28x), sealing 0.12-0.19 ms (OAEP, metadata AES, file AES:",
  "three WebCrypto jobs), the signature 0.27-0.33 ms, multipart body 0.02 ms, attempt loop (timer,",
  "AbortController) 0.02 ms, input checks 0.01 ms. fetch costs 0.45-0.5 ms of CPU for both (a Buffer, a Blob",
  "or a stream body made no difference). The floor: each WebCrypto job is a hop to libuv's pool and back,",
  "20-50 us of CPU on this loaded machine where node:crypto does the same work in 2-5 us; a write needs",
  "four (wrap, two AES, sign), the signature after the envelope it covers.",
];
