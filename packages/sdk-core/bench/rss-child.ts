/**
 * One `sdk.write` (or, with `push`, one `sdk.pushData` into the library; with `raw`, the same
 * stream posted by `fetch` itself to the same import endpoint, no SDK: the platform's own share)
 * of `bytes` bytes streamed from a generated ReadableStream of fresh 64 KiB chunks, in a fresh
 * process (`node --expose-gc bench/rss-child.ts <baseUrl> <bytes> [write|push|raw]`), measuring
 * how far the resident set grows above what it was after a small warm-up. RSS is sampled every
 * 50 ms and at every 16th chunk pulled. Prints one JSON line on stdout.
 */
import { init } from "@digime-edge/sdk-core";
import { APPLICATION_ID, MiB, patternStream, pushOptions, writeOptions } from "./lib.ts";

const [baseUrl, bytesArg, call = "write"] = process.argv.slice(2);
const bytes = Number(bytesArg);
const gc = (globalThis as { gc?: () => void }).gc;
if (!baseUrl || !Number.isSafeInteger(bytes) || gc === undefined) {
  throw new Error("usage: node --expose-gc bench/rss-child.ts <baseUrl> <bytes> [write|push|raw]");
}

const sdk = init({ applicationId: APPLICATION_ID, baseUrl, retry: false });
// The sink verifies imports under /verify/ (see sink.ts).
const verifySdk = init({
  applicationId: APPLICATION_ID,
  baseUrl: `${new URL(baseUrl).origin}/verify/v1.7/`,
  retry: false,
});
const rss = () => process.memoryUsage.rss();
const writeOf = async (postboxId: string, size: number, onPull?: () => void) => {
  const fileData = patternStream(size, 64 * 1024, onPull);
  if (call === "raw") {
    // As the SDK sends it on Node: streamed, and `redirect: "error"` (else fetch keeps the body).
    const prefix = postboxId === "verify" ? "/verify" : "";
    const response = await fetch(`${new URL(baseUrl).origin}${prefix}/v1.7/permission-access/import`, {
      method: "POST",
      body: fileData,
      duplex: "half",
      redirect: "error",
      headers: { "Content-Type": "application/octet-stream" },
    } as RequestInit);
    await response.arrayBuffer();
    return response.ok ? "delivered" : `HTTP ${response.status}`;
  }
  if (call !== "push") return (await sdk.write(writeOptions(postboxId, fileData))).status;
  await (postboxId === "verify" ? verifySdk : sdk).pushData(pushOptions(fileData));
  return "delivered";
};

// Warm-up: keys imported and cached, fetch/undici loaded, a connection open, code compiled.
await writeOf("drain", 4 * MiB);
gc();
await new Promise((r) => setTimeout(r, 100));
gc();
const base = rss();
let peak = base;
let pulls = 0;
const sample = () => {
  const now = rss();
  if (now > peak) peak = now;
};
const timer = setInterval(sample, 50);
const start = performance.now();
const result = await writeOf("verify", bytes, () => {
  if (++pulls % 16 === 0) sample();
});
const ms = performance.now() - start;
clearInterval(timer);
sample();
process.stdout.write(`${JSON.stringify({ bytes, base, peak, growth: peak - base, ms, status: result })}\n`);
