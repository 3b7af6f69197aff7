import { describe, expect, it } from "vitest";
import { multipartBody } from "../src/internal/multipart.ts";
import { parseMultipart } from "./support/fake-digime.ts";

/** Every chunk a runtime would pull from `body`, one read at a time. */
async function chunksOf(body: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value);
  return chunks;
}

describe("multipartBody of small bytes", () => {
  it("streams a file of up to 8 KiB in one chunk, head and tail included, whole once pulled", async () => {
    for (const size of [0, 1, 1024, 8 * 1024]) {
      const file = new Uint8Array(size).map((_, i) => i % 251);
      const multipart = await multipartBody({ fileName: "a", file, fileSize: undefined, stream: true });
      expect(multipart.bodyDone?.()).toBe(false);
      const chunks = await chunksOf(multipart.body as ReadableStream<Uint8Array>);
      expect(chunks).toHaveLength(1);
      expect(multipart.bodyDone?.()).toBe(true);
      expect(chunks[0]?.length).toBe(multipart.length);
      const part = parseMultipart(multipart.contentType, Buffer.from(chunks[0] as Uint8Array));
      expect(Buffer.compare(part.data, Buffer.from(file))).toBe(0);
    }
  });

  it("streams a larger file as head, file chunks and tail: not whole until the tail is pulled", async () => {
    const file = new Uint8Array(8 * 1024 + 1);
    const multipart = await multipartBody({ fileName: "a", file, fileSize: undefined, stream: true });
    const reader = (multipart.body as ReadableStream<Uint8Array>).getReader();
    const head = await reader.read();
    expect(new TextDecoder().decode(head.value)).toMatch(/^--.*\r\n\r\n$/s);
    expect((await reader.read()).value?.length).toBe(file.length);
    expect(multipart.bodyDone?.()).toBe(false);
    await reader.read(); // the closing boundary
    expect(multipart.bodyDone?.()).toBe(true);
  });
});
