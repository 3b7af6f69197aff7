/**
 * tus-js-client in Node (its own HTTP stack, real sockets) against the Worker under `wrangler dev`
 * and the emulator, as `pnpm start` runs them (`scripts/start.mjs`, on free ports, in temporary
 * folders). Between them a TCP relay cuts the connection twice in the middle of the upload;
 * tus-js-client resumes after each cut from the offset HEAD gives. Plain and sealed (sealed in Node
 * with sdk-core's `seal`, streamed to a file): delivered once, the library's bytes equal the file,
 * nothing left in the staging bucket, and the Worker's memory flat: the live memory of its isolate
 * (heap and ArrayBuffers, after a full GC, read through wrangler dev's inspector) stays under
 * {@link HEAP_BOUND} throughout, well below one PATCH's bytes, which any implementation that held
 * a PATCH (or the file) would exceed; a control holds a PATCH's bytes in the isolate and shows the
 * reading goes past the bound. 300 MiB each, in PATCHes of 50 MiB (the Worker's default
 * `TUS_CHUNK_MAX_BYTES`): about a minute and a half on two busy cores.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

import { seal } from "@digime-edge/sdk-core";
import { Upload } from "tus-js-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectIsolateHeap, type IsolateHeap } from "../support/isolate-heap.ts";
import { startWorkerStack, type WorkerStack } from "../support/start-scripts.ts";

const MiB = 1024 * 1024;
const SIZE = 300 * MiB;
/** tus-js-client's PATCH size: the Worker's default `TUS_CHUNK_MAX_BYTES`. */
const CHUNK = 50 * MiB;
/**
 * Most live bytes the Worker's isolate may hold during an upload: its staging buffer and sealed
 * copy (5 MiB each), a part read back and decrypted for delivery, the body chunks in flight, and
 * its code. Well below one PATCH ({@link CHUNK}), so a Worker holding a PATCH's body fails it.
 */
const HEAP_BOUND = 32 * MiB;

/**
 * A TCP relay to `port` that cuts every connection once `cuts[0]` bytes have gone up in total: the
 * bytes before the cut go on, nothing after it (as when a network goes away).
 */
function cuttingRelay(port: number) {
  const cuts: number[] = [];
  let up = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(port, "127.0.0.1");
    sockets.add(client).add(upstream);
    let cutOff = false;
    client.on("data", (data: Buffer) => {
      if (cutOff) return;
      up += data.length;
      const cut = cuts[0];
      if (cut === undefined || up < cut) {
        upstream.write(data);
        return;
      }
      cuts.shift();
      cutOff = true;
      // The bytes before the cut reach the Worker, then both ends of every connection are gone.
      upstream.end(data.subarray(0, Math.max(0, data.length - (up - cut))), () => upstream.destroy());
      for (const s of sockets) if (s !== upstream) s.destroy();
      sockets.clear();
    });
    upstream.on("data", (data: Buffer) => {
      if (!cutOff) client.write(data);
    });
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      a.on("end", () => b.end());
      a.on("error", () => b.destroy());
      a.on("close", () => {
        sockets.delete(a);
        b.destroy();
      });
    }
  });
  return {
    server,
    /** Cuts after these many more bytes, each counted from the cut before. */
    cutAfter(...more: number[]) {
      let at = up;
      for (const n of more) {
        at += n;
        cuts.push(at);
      }
    },
    pending: () => cuts.length,
    /** Ends every connection, and the relay. */
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** SHA-256 of a file, hex, read as a stream. */
async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** A file of `size` random bytes, written 1 MiB at a time. */
async function randomFile(path: string, size: number): Promise<void> {
  let left = size;
  await pipeline(
    Readable.from(
      (function* () {
        while (left > 0) {
          const n = Math.min(left, 1 << 20);
          left -= n;
          yield randomBytes(n);
        }
      })(),
    ),
    createWriteStream(path),
  );
}

const dirs: string[] = [];
let stack: WorkerStack | undefined;
let emulatorUrl: string;
let relay: ReturnType<typeof cuttingRelay>;
let relayUrl: string;
let persistTo: string;
let heap: IsolateHeap;

beforeAll(async () => {
  const base = await mkdtemp(join(tmpdir(), "tus-node-"));
  dirs.push(base);
  stack = await startWorkerStack(base, { inspector: true });
  ({ emulatorUrl, persistTo } = stack);
  heap = await connectIsolateHeap(stack.inspectorPort as number);
  relay = cuttingRelay(stack.port);
  await new Promise<void>((resolve) => relay.server.listen(0, "127.0.0.1", resolve));
  const address = relay.server.address();
  relayUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
}, 120_000);

afterAll(async () => {
  heap?.close();
  relay?.close();
  await stack?.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
}, 30_000);

/** Signs in through the relay (the emulator approves by itself); returns the session cookie. */
async function signIn(): Promise<string> {
  const start = await fetch(`${relayUrl}/auth/start`, { redirect: "manual" });
  const pending = (start.headers.get("Set-Cookie") ?? "").split(";")[0] as string;
  const consent = await fetch(start.headers.get("Location") as string, { redirect: "manual" });
  const callback = new URL(consent.headers.get("Location") as string);
  const done = await fetch(`${relayUrl}${callback.pathname}${callback.search}`, {
    redirect: "manual",
    headers: { Cookie: pending },
  });
  const session = done.headers.getSetCookie().find((c) => c.startsWith("digime_session="));
  expect(session, await done.text()).toBeDefined();
  return (session as string).split(";")[0] as string;
}

/**
 * Reads the isolate's live memory again and again until `done` settles; returns the most seen,
 * how many readings there were, and how many the inspector did not respond to.
 */
async function peakWhile(
  done: Promise<unknown>,
): Promise<{ peak: number; readings: number; missed: number }> {
  let finished = false;
  void done
    .finally(() => {
      finished = true;
    })
    .catch(() => {});
  let peak = 0;
  let readings = 0;
  let missed = 0;
  while (!finished) {
    try {
      peak = Math.max(peak, await heap.live());
      readings += 1;
    } catch {
      missed += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { peak, readings, missed };
}

/** Uploads the file at `path` with tus-js-client, two cuts in the middle; the isolate's peak memory. */
async function upload(path: string, size: number, cookie: string, metadata: Record<string, string>) {
  relay.cutAfter(Math.floor(size * 0.35), Math.floor(size * 0.35));
  const before = await heap.live();
  const errors: string[] = [];
  const answer = new Promise<string>((resolve, reject) => {
    const tus = new Upload(createReadStream(path), {
      endpoint: `${relayUrl}/api/uploads`,
      headers: { Cookie: cookie, Origin: relayUrl },
      metadata,
      chunkSize: CHUNK,
      // A cut PATCH holds the upload (423) until the Worker has seen its body end and kept its bytes.
      retryDelays: [0, 500, 1000, 2000, 4000, 8000, 16000, 32000],
      onShouldRetry: (error) => {
        errors.push(error.message);
        return true;
      },
      onSuccess: ({ lastResponse }) => resolve(lastResponse.getBody()),
      onError: reject,
    });
    tus.start();
  });
  const { peak, readings, missed } = await peakWhile(answer);
  return { answer: JSON.parse((await answer) || "null") as unknown, before, peak, readings, missed, errors };
}

/** The library's files (every user), from the emulator's library API. */
async function library(): Promise<{ fileName: string; size: number; sha256: string }[]> {
  const response = await fetch(`${emulatorUrl}/library/api/files?limit=1000`);
  return ((await response.json()) as { files: { fileName: string; size: number; sha256: string }[] }).files;
}

/** Files the staging bucket holds on disk (R2 under `wrangler dev --persist-to`). */
async function stagedFiles(): Promise<number> {
  let count = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory()) await walk(join(dir, entry.name));
      else if (dir.includes("blobs")) count += 1;
    }
  };
  await walk(join(persistTo, "v3", "r2"));
  return count;
}

/** Prints what an upload took and saw, and expects the isolate's memory under the bound. */
function expectFlat(what: string, result: Awaited<ReturnType<typeof upload>>, size: number): void {
  const errors = result.errors.map((e) =>
    e.replace(/^.*(response code: \d+|caused by Error: [^,]*).*$/, "$1"),
  );
  console.log(
    `${what} ${size >> 20} MiB: the Worker's isolate held ${(result.before / MiB).toFixed(1)} MiB live before, ` +
      `at most ${(result.peak / MiB).toFixed(1)} MiB in ${result.readings} readings (${result.missed} unanswered); retried after: ${errors.join("; ")}`,
  );
  expect(result.readings).toBeGreaterThan(3);
  expect(result.peak).toBeLessThan(HEAP_BOUND);
}

describe(`tus-js-client in Node through wrangler dev, ${SIZE / MiB} MiB, two cut connections`, () => {
  it("control: a PATCH's bytes held in the isolate read above the memory bound", async () => {
    const before = await heap.live();
    expect(before).toBeLessThan(HEAP_BOUND);
    await heap.evaluate(`globalThis.heldForTheTest = new Uint8Array(${CHUNK}).fill(7); 0`);
    const holding = await heap.live();
    await heap.evaluate("delete globalThis.heldForTheTest; 0");
    const after = await heap.live();
    expect(holding - before).toBeGreaterThanOrEqual(CHUNK);
    expect(holding).toBeGreaterThan(HEAP_BOUND);
    expect(after).toBeLessThan(HEAP_BOUND);
  });

  it("plain: resumed twice, delivered once, byte for byte; nothing staged after", {
    timeout: 600_000,
  }, async () => {
    const cookie = await signIn();
    const path = join(dirs[0] as string, "plain.bin");
    await randomFile(path, SIZE);
    const result = await upload(path, SIZE, cookie, { filename: "plain-node.bin" });
    expect(result.answer).toMatchObject({ status: "delivered", fileName: "plain-node.bin", bytes: SIZE });
    expect(relay.pending()).toBe(0);
    expect(result.errors.length).toBeGreaterThanOrEqual(2);
    const files = (await library()).filter((f) => f.fileName === "plain-node.bin");
    expect(files).toHaveLength(1);
    expect(files[0]?.sha256).toBe(await sha256File(path));
    expect(await stagedFiles()).toBe(0);
    expectFlat("plain", result, SIZE);
  });

  it("sealed (sealed in Node): resumed twice, delivered once, decrypts to the file; nothing staged after", {
    timeout: 600_000,
  }, async () => {
    const cookie = await signIn();
    const session = (await (
      await fetch(`${relayUrl}/api/session`, { headers: { Cookie: cookie } })
    ).json()) as {
      publicKey: string;
      accountId: string;
    };
    const plainPath = join(dirs[0] as string, "sealed-plain.bin");
    const sealedPath = join(dirs[0] as string, "sealed.bin");
    await randomFile(plainPath, SIZE - 999);
    const sealed = await seal({
      publicKey: session.publicKey,
      fileData: createReadStream(plainPath),
      fileDescriptor: { mimeType: "application/octet-stream", accounts: [{ accountId: session.accountId }] },
    });
    // A ReadableStream is an async iterable in Node: written to the file as it is sealed.
    await pipeline(sealed.body as unknown as AsyncIterable<Uint8Array>, createWriteStream(sealedPath));
    const size = (await stat(sealedPath)).size;
    const result = await upload(sealedPath, size, cookie, {
      filename: "sealed-node.bin",
      iv: sealed.iv,
      symmetricalKey: sealed.symmetricalKey,
      metadata: sealed.metadata,
    });
    expect(result.answer).toMatchObject({ status: "delivered", bytes: size });
    const files = (await library()).filter((f) => f.fileName === "sealed-node.bin");
    expect(files).toHaveLength(1);
    expect(files[0]?.sha256).toBe(await sha256File(plainPath));
    expect(await stagedFiles()).toBe(0);
    expectFlat("sealed", result, size);
  });
});
