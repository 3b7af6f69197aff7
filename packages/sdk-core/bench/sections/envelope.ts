/**
 * Section 1 (`envelope`): AES-256-CBC of 64 MiB, createCbcEncryptStream (64 KiB input chunks) and
 * encryptCbc, versus node:crypto createCipheriv; every output checked byte-identical to it.
 */
import { createCipheriv, createHash, randomBytes, randomFillSync } from "node:crypto";
import { type Internals, interleaved, RUNS, type Timing } from "../harness.ts";
import { check, fmt, KiB, MiB, mbps, mib, ratio, table } from "../lib.ts";

const ENVELOPE_SIZE = 64 * MiB;

/** Prints table 1. */
export async function benchEnvelope(internals: Internals) {
  const data = randomFillSync(new Uint8Array(ENVELOPE_SIZE));
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += 64 * KiB) chunks.push(data.subarray(at, at + 64 * KiB));
  const keyBytes = randomBytes(32);
  const iv = randomBytes(16);
  const aesKey = await crypto.subtle.importKey("raw", keyBytes, { name: "AES-CBC" }, false, ["encrypt"]);

  const nodeChunked = (onChunk?: (c: Uint8Array) => void) => {
    const cipher = createCipheriv("aes-256-cbc", keyBytes, iv);
    let n = 0;
    for (const chunk of chunks) {
      const out = cipher.update(chunk);
      n += out.length;
      onChunk?.(out);
    }
    const out = cipher.final();
    onChunk?.(out);
    return n + out.length;
  };
  const nodeOneShot = () => {
    const cipher = createCipheriv("aes-256-cbc", keyBytes, iv);
    return [cipher.update(data), cipher.final()];
  };
  const sdkStream = async (onChunk?: (c: Uint8Array) => void) => {
    let i = 0;
    const source = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (i < chunks.length) controller.enqueue(chunks[i++] as Uint8Array);
          else controller.close();
        },
      },
      { highWaterMark: 0 },
    );
    const reader = source.pipeThrough(internals.createCbcEncryptStream(aesKey, iv)).getReader();
    let n = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return n;
      n += value.length;
      onChunk?.(value);
    }
  };
  const sdkOneShot = () => internals.encryptCbc(aesKey, iv, data);

  // Checked once, untimed (also the warm-up): every output equals node:crypto's.
  const expected = createHash("sha256").update(Buffer.concat(nodeOneShot())).digest("hex");
  const hashOf = async (run: (onChunk: (c: Uint8Array) => void) => unknown) => {
    const hash = createHash("sha256");
    await run((c) => hash.update(c));
    return hash.digest("hex");
  };
  check((await hashOf(nodeChunked)) === expected, "node:crypto chunked differs from one-shot");
  check((await hashOf(sdkStream)) === expected, "createCbcEncryptStream differs from node:crypto");
  const oneShot = await sdkOneShot();
  check(
    createHash("sha256").update(oneShot).digest("hex") === expected,
    "encryptCbc differs from node:crypto",
  );

  const t = await interleaved(RUNS, {
    nodeChunked: async () => nodeChunked(),
    sdkStream: () => sdkStream(),
    nodeOneShot: async () => nodeOneShot(),
    sdkOneShot,
  });
  const row = (name: string, { ms, cpuMs }: Timing, base: Timing) => [
    name,
    fmt(ms, 1),
    fmt(cpuMs, 0),
    fmt(mbps(ENVELOPE_SIZE, ms)),
    ratio(mbps(ENVELOPE_SIZE, ms), mbps(ENVELOPE_SIZE, base.ms)),
  ];
  table(
    `1. AES-256-CBC of ${mib(ENVELOPE_SIZE, 0)} (median of ${RUNS}; outputs checked byte-identical to node:crypto)`,
    ["variant", "ms", "CPU ms", "MB/s", "vs node"],
    [
      row("node:crypto createCipheriv, 64 KiB updates (baseline)", t.nodeChunked, t.nodeChunked),
      row("sdk createCbcEncryptStream, 64 KiB input chunks", t.sdkStream, t.nodeChunked),
      row("node:crypto createCipheriv, one update (baseline)", t.nodeOneShot, t.nodeOneShot),
      row("sdk encryptCbc, one-shot", t.sdkOneShot, t.nodeOneShot),
    ],
    ["CPU ms: this process, all threads (WebCrypto runs on libuv's pool)."],
  );
}
