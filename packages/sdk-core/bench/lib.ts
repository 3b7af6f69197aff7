/**
 * Shared by the bench's processes: the fixture keys, a deterministic test pattern (generated on the
 * fly by the client, checked on the fly by the sink), timing and table helpers. node:* only.
 */
import { createCipheriv, createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** The official SDK's vectors: public test fixtures, never real keys. */
const vectors = JSON.parse(
  readFileSync(new URL(import.meta.resolve("@digime-edge/fixtures/official-v8.json")), "utf8"),
) as { keys: Record<"contract" | "postbox", Record<"privatePkcs1" | "publicPkcs1" | "publicSpki", string>> };

export const KEYS = {
  contractPrivate: vectors.keys.contract.privatePkcs1,
  contractPublic: vectors.keys.contract.publicSpki,
  postboxPrivate: vectors.keys.postbox.privatePkcs1,
  postboxPublic: vectors.keys.postbox.publicPkcs1,
};

export const APPLICATION_ID = "bench-app";
export const CONTRACT_ID = "bench-contract";
export const CLIENT_ID = `${APPLICATION_ID}_${CONTRACT_ID}`;
export const ACCESS_TOKEN = "bench-access-token-0123456789abcdefghijklmnopqrstuvwxyz";
export const FILE_DESCRIPTOR = {
  mimeType: "application/octet-stream",
  accounts: [{ accountId: "bench-account" }],
  reference: ["bench"],
  tags: ["bench"],
};
export const userAccessToken = {
  accessToken: { value: ACCESS_TOKEN, expiry: Date.now() + 3_600_000 },
  refreshToken: { value: "bench-refresh-token", expiry: Date.now() + 86_400_000 },
};
export const contractDetails = {
  contractId: CONTRACT_ID,
  privateKey: KEYS.contractPrivate,
  redirectUri: "https://bench.example/return",
};

/** The options of one bench `sdk.write` of `fileData` to `postboxId` (the sink's mode). */
export function writeOptions<T>(postboxId: string, fileData: T) {
  return {
    contractDetails,
    userAccessToken,
    postboxId,
    publicKey: KEYS.postboxPublic,
    data: { fileData, fileName: "bench.bin", fileDescriptor: FILE_DESCRIPTOR },
  };
}

/** The options of one bench `sdk.pushData` of `fileData` into the library. */
export function pushOptions<T>(fileData: T) {
  return {
    type: "library" as const,
    contractDetails: { contractId: CONTRACT_ID, privateKey: KEYS.contractPrivate },
    userAccessToken,
    data: { fileData, fileDescriptor: FILE_DESCRIPTOR },
  };
}

// --- The pattern: byte p of every bench file is POOL[p % POOL.length] ----------------------------

/** ~1 MiB of AES-CTR keystream from a fixed key: random-looking, the same in every process. */
const POOL: Buffer = (() => {
  const key = createHash("sha256").update("digime-edge bench pattern").digest();
  // An odd size, so that the pattern does not line up with AES blocks or chunks.
  return createCipheriv("aes-256-ctr", key, Buffer.alloc(16)).update(Buffer.alloc(MiB - 3));
})();

/** A new buffer with the pattern's bytes `[position, position + length)`. */
export function patternChunk(position: number, length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const at = (position + done) % POOL.length;
    const n = Math.min(length - done, POOL.length - at);
    out.set(POOL.subarray(at, at + n), done);
    done += n;
  }
  return out;
}

/** Whether `chunk` equals the pattern from `position`. */
export function matchesPattern(chunk: Uint8Array, position: number): boolean {
  let done = 0;
  while (done < chunk.length) {
    const at = (position + done) % POOL.length;
    const n = Math.min(chunk.length - done, POOL.length - at);
    if (Buffer.compare(chunk.subarray(done, done + n), POOL.subarray(at, at + n)) !== 0) return false;
    done += n;
  }
  return true;
}

/**
 * The pattern's first `total` bytes as a web stream of fresh `chunkSize` chunks, made as they are
 * pulled (never held whole). `onPull` runs for every chunk (the RSS sampler hooks in there).
 */
export function patternStream(
  total: number,
  chunkSize = 64 * KiB,
  onPull?: () => void,
): ReadableStream<Uint8Array> {
  let position = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        onPull?.();
        if (position >= total) return controller.close();
        const n = Math.min(chunkSize, total - position);
        controller.enqueue(patternChunk(position, n));
        position += n;
      },
    },
    { highWaterMark: 0 },
  );
}

/** The same as an async iterable (for node:http / node:stream). */
export async function* patternChunks(total: number, chunkSize = 64 * KiB): AsyncGenerator<Uint8Array> {
  for (let position = 0; position < total; position += chunkSize) {
    yield patternChunk(position, Math.min(chunkSize, total - position));
  }
}

/** The same as a Node `Readable` (what an app hands the official SDK: a file or socket stream). */
export function patternReadable(total: number, chunkSize = 64 * KiB): Readable {
  let position = 0;
  return new Readable({
    read() {
      if (position >= total) return void this.push(null);
      const n = Math.min(chunkSize, total - position);
      this.push(patternChunk(position, n));
      position += n;
    },
  });
}

// --- Timing and printing --------------------------------------------------------------------------

/** MB/s (10^6 bytes per second) of `bytes` in `ms`. */
export function mbps(bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000);
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function ratio(value: number, baseline: number): string {
  return `${(value / baseline).toFixed(2)}x`;
}

export function kib(bytes: number, digits = 1): string {
  return `${(bytes / KiB).toFixed(digits)} KiB`;
}

export function mib(bytes: number, digits = 1): string {
  return `${(bytes / MiB).toFixed(digits)} MiB`;
}

/** Prints a titled table; numeric-looking cells are right-aligned. */
export function table(title: string, header: string[], rows: string[][], notes: string[] = []): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const right = (s: string) => /^[-~<>≤]?\s?[\d.,]+\s?(x|%|ms|MB\/s|KiB|MiB|B|\/s)?$/.test(s.trim());
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right(c) && i > 0 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join("  ");
  console.log(`\n${title}`);
  console.log(`  ${line(header)}`);
  console.log(`  ${widths.map((w) => "-".repeat(w)).join("  ")}`);
  for (const row of rows) console.log(`  ${line(row)}`);
  for (const note of notes) console.log(`  ${note}`);
}

/** An error that fails the bench (a wrong result, never a slow one). */
export class BenchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BenchError";
  }
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new BenchError(message);
}
