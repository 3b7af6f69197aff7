import { describe, expect, it } from "vitest";
import { readBodyChunks } from "../../src/lib/body-chunks.ts";

describe("readBodyChunks in Node (BYOB without readAtLeast)", () => {
  it("gives back every byte, in chunks of at most the size", async () => {
    const data = new Uint8Array(1_000_003).map((_, i) => i % 251);
    const body = new Request("http://x.test/", { method: "POST", body: data })
      .body as ReadableStream<Uint8Array>;
    const parts: Uint8Array[] = [];
    for await (const chunk of readBodyChunks(body, 65_536).chunks) parts.push(chunk);
    expect(parts.every((p) => p.byteLength > 0 && p.byteLength <= 65_536)).toBe(true);
    expect(Buffer.concat(parts).equals(Buffer.from(data))).toBe(true);
  });
});
