import { describe, expect, it } from "vitest";
import { inLargeChunks, READ_CHUNK_BYTES, readBodyChunks } from "../../src/lib/body-chunks";

/** Deterministic bytes (not `support`'s: that file would scan this file's answers, and it has none). */
function bytesOf(size: number, seed = 1): Uint8Array<ArrayBuffer> {
  return new Uint8Array(size).map((_, i) => (i * 31 + seed * 7) & 0xff);
}

async function all(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

function joined(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

describe("readBodyChunks", () => {
  it("reads a request body in whole chunks of READ_CHUNK_BYTES (workerd's readAtLeast)", async () => {
    const data = bytesOf(4 * READ_CHUNK_BYTES + 5);
    const body = new Request("https://x.test/", { method: "POST", body: data }).body as ReadableStream;
    const parts = await all(readBodyChunks(body).chunks);
    expect(parts.map((p) => p.byteLength)).toEqual([...Array(4).fill(READ_CHUNK_BYTES), 5]);
    expect(joined(parts)).toEqual(data);
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
    expect(joined(parts)).toEqual(data);

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
});
