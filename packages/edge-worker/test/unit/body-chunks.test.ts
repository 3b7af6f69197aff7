import { concatBytes } from "@digime-edge/sdk-core/internal";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { bodyDeadline, inLargeChunks, READ_CHUNK_BYTES, readBodyChunks } from "../../src/lib/body-chunks.ts";

/** Deterministic bytes (not `support`'s: that file would scan this file's answers, and it has none). */
function bytesOf(size: number, seed = 1): Uint8Array<ArrayBuffer> {
  return new Uint8Array(size).map((_, i) => (i * 31 + seed * 7) & 0xff);
}

async function all(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

describe("readBodyChunks", () => {
  it("reads a request body in whole chunks of READ_CHUNK_BYTES (workerd's readAtLeast)", async () => {
    const data = bytesOf(4 * READ_CHUNK_BYTES + 5);
    const body = new Request("https://x.test/", { method: "POST", body: data }).body as ReadableStream;
    const parts = await all(readBodyChunks(body).chunks);
    expect(parts.map((p) => p.byteLength)).toEqual([...Array(4).fill(READ_CHUNK_BYTES), 5]);
    expect(concatBytes(...parts)).toEqual(data);
  });

  it("takes a stream that is not a byte stream as it comes, and an empty body", async () => {
    const pieces = [bytesOf(10, 1), bytesOf(70_000, 2), bytesOf(3, 3)];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const p of pieces) controller.enqueue(p);
        controller.close();
      },
    });
    const parts = await all(readBodyChunks(stream).chunks);
    expect(parts.map((p) => p.byteLength)).toEqual([10, 70_000, 3]);
    expect(
      await all(
        readBodyChunks(
          new Request("https://x.test/", { method: "POST", body: "" }).body ?? new ReadableStream(),
        ).chunks,
      ),
    ).toEqual([]);
  });

  it("inLargeChunks gives the same bytes as a stream, and cancel releases the body", async () => {
    const data = bytesOf(600_000, 4);
    const body = new Request("https://x.test/", { method: "POST", body: data }).body as ReadableStream;
    const parts = await all(inLargeChunks(body, 100_000) as unknown as AsyncIterable<Uint8Array>);
    expect(parts.map((p) => p.byteLength)).toEqual(Array(6).fill(100_000));
    expect(concatBytes(...parts)).toEqual(data);

    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull: (c) => c.enqueue(new Uint8Array(1)),
      cancel: () => {
        cancelled = true;
      },
    });
    const reading = readBodyChunks(endless);
    await reading.chunks.next();
    await reading.cancel();
    expect(cancelled).toBe(true);
  });

  // The clock and the timers are fake: the bodies' pauses and the reader's limits run on the same
  // timeline, so each test sees the exact time a body failed at, not how fast the machine was.
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** Runs `reading` to its end on the fake clock; resolves with it and the fake time it took. */
  async function onFakeTime<T>(reading: () => Promise<T>): Promise<{ result: T; ms: number }> {
    const started = Date.now();
    let ended: number | undefined;
    const pending = reading().finally(() => {
      ended = Date.now();
    });
    // Timer by timer; bounded: a body that neither fails nor ends stops the test after 10 minutes.
    while (ended === undefined && Date.now() - started < 600_000) await vi.advanceTimersToNextTimerAsync();
    expect(ended, "the reading ended within 10 minutes of fake time").toBeDefined();
    return { result: await pending, ms: (ended ?? 0) - started };
  }
  /** `pieces` bytes of `piece` each, one every `everyMs`; then the end (or a stall forever). */
  function dripped(piece: number, pieces: number, everyMs: number, stall = false) {
    let sent = 0;
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (sent === pieces) {
          if (stall) return new Promise<void>(() => {});
          return c.close();
        }
        await sleep(everyMs);
        sent++;
        c.enqueue(new Uint8Array(piece));
      },
      cancel: () => {
        cancelled = true;
      },
    });
    return { stream, cancelled: () => cancelled };
  }
  /** Reads `stream` to its end on the fake clock: the bytes read, and the error's message if it failed. */
  function readOnFakeTime(
    stream: ReadableStream<Uint8Array>,
    size: number,
    options: Parameters<typeof readBodyChunks>[2],
  ) {
    return onFakeTime(async () => {
      let bytes = 0;
      try {
        for await (const chunk of readBodyChunks(stream, size, options).chunks) bytes += chunk.byteLength;
        return { bytes };
      } catch (error) {
        return { error: (error as Error).message, bytes };
      }
    });
  }
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a time limit per chunk: a stalled or trickled body fails, a slow one that keeps pace does not", async () => {
    const timing = { chunkTimeoutMs: 300, onTimeout: () => new Error("too slow") };
    const read = (stream: ReadableStream<Uint8Array>, size: number) => readOnFakeTime(stream, size, timing);

    // Stalled after 20 bytes (at 20 ms): fails when the chunk's 300 ms are spent; the body is cancelled.
    const stalled = dripped(10, 2, 10, true);
    expect(await read(stalled.stream, 1000)).toEqual({ result: { error: "too slow", bytes: 20 }, ms: 300 });
    expect(stalled.cancelled()).toBe(true);
    // Trickled: a byte every 20 ms never leaves a read waiting long, but 1000 bytes would take 20 s:
    // fails at 300 ms, 14 bytes in (the 15th, due at the same instant, is late: a limit is spent at
    // its instant, as the deadline below).
    expect(await read(dripped(1, 10_000, 20).stream, 1000)).toEqual({
      result: { error: "too slow", bytes: 14 },
      ms: 300,
    });
    // Slow but keeping pace (each 1000 bytes within the limit): read to the end, 12 pieces 40 ms apart.
    expect(await read(dripped(250, 12, 40).stream, 1000)).toEqual({ result: { bytes: 3000 }, ms: 480 });
  });

  it("a minimum average rate after a grace period: a body that keeps each chunk's pace but averages slower fails", async () => {
    // 100 bytes every 20 ms: 5,000 bytes/s, always well within the per-chunk limit.
    const steady = (pieces: number) => dripped(100, pieces, 20);
    const read = (stream: ReadableStream<Uint8Array>, minBytesPerSecond: number) =>
      readOnFakeTime(stream, 1000, {
        chunkTimeoutMs: 5000,
        onTimeout: () => new Error("chunk late"),
        minBytesPerSecond,
        graceMs: 200,
        onTooSlow: () => new Error("too slow on average"),
      });
    // Asked for 20,000 bytes/s: at the end of the 200 ms grace, 900 bytes in (the 10th piece, due
    // at that very instant, is late) where the rate asked for them and the next 1000 by 95 ms: too
    // slow, then and there.
    const slow = steady(100);
    expect(await read(slow.stream, 20_000)).toEqual({
      result: { error: "too slow on average", bytes: 900 },
      ms: 200,
    });
    expect(slow.cancelled()).toBe(true);
    // Asked for 1,000 bytes/s: read to the end.
    expect(await read(steady(30).stream, 1000)).toEqual({ result: { bytes: 3000 }, ms: 600 });
    // A body shorter than the grace period is never too slow, whatever the rate asked.
    expect(await read(steady(3).stream, 1_000_000)).toEqual({ result: { bytes: 300 }, ms: 60 });
  });

  it("one deadline for the whole body: a body in by then is read whole, one that is not fails then, cancelled", async () => {
    const deadline = { ms: 500, late: () => new Error("not in by the deadline") };
    // 10 pieces 40 ms apart (400 ms), then the end: read whole, one timer, no per-read limit.
    expect(await readOnFakeTime(dripped(100, 10, 40).stream, 1000, { deadline })).toEqual({
      result: { bytes: 1000 },
      ms: 400,
    });
    // Stalled after 300 bytes: fails at the deadline, with the bytes read so far; cancelled.
    const stalled = dripped(100, 3, 10, true);
    expect(await readOnFakeTime(stalled.stream, 1000, { deadline })).toEqual({
      result: { error: "not in by the deadline", bytes: 300 },
      ms: 500,
    });
    expect(stalled.cancelled()).toBe(true);
    // Trickled: each piece well within any per-chunk limit, but the whole not in by the deadline
    // (24 pieces came before it; the 25th was due at the same instant, after it).
    expect(await readOnFakeTime(dripped(10, 1000, 20).stream, 1000, { deadline })).toEqual({
      result: { error: "not in by the deadline", bytes: 240 },
      ms: 500,
    });
  });
});

describe("readBodyChunks of a declared body: 1 MiB reads within a deadline, and the per-chunk and rate limits", () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const KiB = 1024;
  const MiB = 1024 * KiB;
  // The Worker's defaults: 30 s per 256 KiB, 16 KiB/s on average after 30 s.
  const timing = {
    chunkTimeoutMs: 30_000,
    onTimeout: () => new Error("BODY_TIMEOUT"),
    minBytesPerSecond: 16 * KiB,
    graceMs: 30_000,
    onTooSlow: () => new Error("UPLOAD_TOO_SLOW"),
  };
  const declared = 4 * MiB;
  // What the routes pass for a body with a Content-Length (the deadline: 256 s, the rate's).
  const options = { ...timing, deadline: bodyDeadline(declared, timing) };
  /** A byte stream of `declared` bytes, one piece of 256 KiB every `everyMs`, stalling after `stallAfter` pieces. */
  function body(everyMs: number, stallAfter = Number.POSITIVE_INFINITY) {
    let sent = 0;
    let cancelled = false;
    const stream: ReadableStream<Uint8Array> = new ReadableStream({
      type: "bytes",
      async pull(c) {
        if (sent === stallAfter) return new Promise<void>(() => {});
        if (sent * 256 * KiB === declared) return c.close();
        await sleep(everyMs);
        sent++;
        c.enqueue(new Uint8Array(256 * KiB).fill(sent));
      },
      cancel: () => {
        cancelled = true;
      },
    });
    return { stream, cancelled: () => cancelled };
  }
  /** Reads `stream` in 1 MiB chunks (as the routes do) on the fake clock; the fake time its end took. */
  async function readDeclared(stream: ReadableStream<Uint8Array>) {
    const started = Date.now();
    let ended: number | undefined;
    const reading = (async () => {
      const sizes: number[] = [];
      try {
        for await (const chunk of readBodyChunks(stream, MiB, options).chunks) sizes.push(chunk.byteLength);
        return { bytes: sizes.reduce((a, b) => a + b, 0) };
      } catch (error) {
        return { error: (error as Error).message, bytes: sizes.reduce((a, b) => a + b, 0) };
      } finally {
        ended = Date.now();
      }
    })();
    while (ended === undefined && Date.now() - started < 600_000) await vi.advanceTimersToNextTimerAsync();
    expect(ended, "the reading ended within 10 minutes of fake time").toBeDefined();
    return { result: await reading, ms: (ended ?? 0) - started };
  }
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a body that is there reads in chunks of the full MiB, with the limits on (few reads, one timer)", async () => {
    vi.useRealTimers();
    const data = new Uint8Array(declared + 5).map((_, i) => i & 0xff);
    const stream = new Request("https://x.test/", { method: "POST", body: data }).body as ReadableStream;
    const parts: Uint8Array[] = [];
    for await (const chunk of readBodyChunks(stream, MiB, options).chunks) parts.push(chunk);
    expect(parts.map((p) => p.byteLength)).toEqual([MiB, MiB, MiB, MiB, 5]);
    expect(concatBytes(...parts)).toEqual(data);
  });

  it("a body arriving 256 KiB at a time is not read into a fresh 1 MiB buffer for each 256 KiB", async () => {
    // A BYOB read moves its whole buffer with the chunk: the buffers are fresh and zero-filled, so
    // their size is CPU. They shrink to what the reads bring and grow back while reads fill them.
    const capacities: number[] = [];
    const reading = (async () => {
      for await (const chunk of readBodyChunks(body(10_000).stream, MiB, options).chunks) {
        expect(chunk.byteLength).toBe(256 * KiB);
        capacities.push(chunk.buffer.byteLength);
      }
    })();
    let done = false;
    void reading.finally(() => {
      done = true;
    });
    while (!done) await vi.advanceTimersToNextTimerAsync();
    await reading;
    expect(capacities).toHaveLength(16);
    const zeroed = capacities.reduce((a, b) => a + b, 0);
    // 16 reads of 1 MiB each would zero 16 MiB for 4 MiB of body; here about 1.5 bytes per byte.
    expect(zeroed).toBeLessThanOrEqual(declared * 2);
    expect(capacities[0]).toBe(MiB);
  });

  it("first chunk, then a stall: BODY_TIMEOUT once nothing came for chunkTimeoutMs, not at the whole-body deadline; cancelled", async () => {
    expect(options.deadline.ms).toBe(256_000);
    const stalled = body(10, 1);
    expect(await readDeclared(stalled.stream)).toEqual({
      result: { error: "BODY_TIMEOUT", bytes: 256 * KiB },
      ms: 10 + 30_000,
    });
    expect(stalled.cancelled()).toBe(true);
  });

  it("each 256 KiB within the chunk limit but under the minimum rate after the grace: UPLOAD_TOO_SLOW when the second is due", async () => {
    // 256 KiB every 20 s (12.8 KiB/s): after 20 s, 256 KiB in; by 32 s the next 256 KiB was due.
    const slow = body(20_000);
    expect(await readDeclared(slow.stream)).toEqual({
      result: { error: "UPLOAD_TOO_SLOW", bytes: 256 * KiB },
      ms: 32_000,
    });
    expect(slow.cancelled()).toBe(true);
  });

  it("a steady body at the pace each rule asks is read whole, however long it takes", async () => {
    // 256 KiB every 10 s (25.6 KiB/s): 160 s for 4 MiB, well within the deadline, never stalled.
    expect(await readDeclared(body(10_000).stream)).toEqual({ result: { bytes: declared }, ms: 160_000 });
  });

  it("the whole-body deadline still holds: a body that keeps each rule's pace but not the deadline fails at it", async () => {
    // A deadline shorter than the limits allow (as bodyDeadline gives a body declared smaller).
    const short = { ...options, deadline: { ms: 45_000, late: () => new Error("late") } };
    const started = Date.now();
    let outcome: string | undefined;
    const reading = (async () => {
      try {
        for await (const _ of readBodyChunks(body(10_000).stream, MiB, short).chunks);
        outcome = "read whole";
      } catch (error) {
        outcome = (error as Error).message;
      }
    })();
    while (outcome === undefined) await vi.advanceTimersToNextTimerAsync();
    await reading;
    expect({ outcome, ms: Date.now() - started }).toEqual({ outcome: "late", ms: 45_000 });
  });
});

describe("bodyDeadline", () => {
  const timing = {
    chunkTimeoutMs: 30_000,
    onTimeout: () => new Error("chunk"),
    minBytesPerSecond: 16_384,
    graceMs: 30_000,
    onTooSlow: () => new Error("rate"),
  };
  const MiB = 1024 * 1024;

  it("is the earlier of what the per-chunk and the average-rate limits allow a body of its size", () => {
    // 64 MiB: 256 chunks of 30 s (7,680 s) against 64 MiB at 16 KiB/s (4,096 s): the rate's.
    const large = bodyDeadline(64 * MiB, timing);
    expect(large.ms).toBe(4_096_000);
    expect(large.late().message).toBe("rate");
    // 2 MiB with 1 s per chunk: 8 s against 128 s: the chunks'.
    const stalled = bodyDeadline(2 * MiB, { ...timing, chunkTimeoutMs: 1000 });
    expect(stalled.ms).toBe(8000);
    expect(stalled.late().message).toBe("chunk");
    // Never shorter than the grace period, and never less than one chunk's time.
    expect(bodyDeadline(MiB + 16, { ...timing, minBytesPerSecond: 1e9 }).ms).toBe(30_000);
    expect(bodyDeadline(16, { chunkTimeoutMs: 700 }).ms).toBe(700);
    expect(bodyDeadline(16, {}).ms).toBe(Number.POSITIVE_INFINITY);
    expect(READ_CHUNK_BYTES).toBe(256 * 1024);
  });
});
