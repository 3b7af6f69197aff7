import { describe, expect, it } from "vitest";
import { delimiterSearch } from "../../src/lib/byte-search.ts";
import { getBoundary, MultipartError, MultipartReader } from "../../src/lib/multipart.ts";

const enc = new TextEncoder();

/** A stream that hands `bytes` over in chunks of `size`. */
function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

async function formBytes(form: FormData): Promise<{ bytes: Uint8Array; type: string }> {
  const request = new Request("https://x.test/", { method: "POST", body: form });
  return {
    bytes: new Uint8Array(await request.arrayBuffer()),
    type: request.headers.get("Content-Type") ?? "",
  };
}

async function readAll(reader: MultipartReader) {
  const parts: { name: string; filename?: string; contentType?: string; body: Uint8Array }[] = [];
  for (let part = await reader.next(); part; part = await reader.next()) {
    const chunks: Uint8Array[] = [];
    for await (const chunk of reader.body()) chunks.push(chunk);
    // A Blob, not concatBytes(...chunks): a part read a byte at a time is too many arguments.
    const body = new Uint8Array(await new Blob(chunks).arrayBuffer());
    parts.push({ name: part.name, filename: part.filename, contentType: part.contentType, body });
  }
  return parts;
}

describe("getBoundary", () => {
  it("reads plain and quoted boundaries", () => {
    expect(getBoundary("multipart/form-data; boundary=abc")).toBe("abc");
    expect(getBoundary('multipart/form-data; charset=utf-8; boundary="a b:c"')).toBe("a b:c");
  });
  it("refuses other types and missing boundaries", () => {
    expect(getBoundary("application/json")).toBeUndefined();
    expect(getBoundary("multipart/form-data")).toBeUndefined();
    expect(getBoundary(null)).toBeUndefined();
    expect(getBoundary("multipart/mixed; boundary=x")).toBeUndefined();
  });
});

describe("MultipartReader", () => {
  const payload = new Uint8Array(200_000).map((_, i) => (i * 7 + (i >> 8)) & 0xff);
  // Bytes that look like the start of a delimiter inside the file.
  payload.set(enc.encode("\r\n--\r\n-"), 1000);

  for (const size of [1, 7, 64, 1000, 65536, 1 << 20]) {
    it(`streams parts across chunks of ${size} bytes`, async () => {
      const form = new FormData();
      form.append("fileDescriptor", JSON.stringify({ mimeType: "text/plain" }));
      form.append("other", "ignored");
      form.append("file", new File([payload], "a/b\\c.bin", { type: "application/x-test" }));
      const { bytes, type } = await formBytes(form);
      const data = size === 1 ? bytes.slice(0, 400_000) : bytes;
      const parts = await readAll(new MultipartReader(chunked(data, size), getBoundary(type) as string));
      expect(parts.map((p) => p.name)).toEqual(["fileDescriptor", "other", "file"]);
      expect(new TextDecoder().decode(parts[0]?.body)).toBe('{"mimeType":"text/plain"}');
      expect(parts[2]?.contentType).toBe("application/x-test");
      expect(parts[2]?.filename).toContain("c.bin");
      expect(parts[2]?.body).toEqual(payload);
    });
  }

  it("skips unread parts and a preamble", async () => {
    const body = enc.encode(
      'preamble\r\n--XX\r\nContent-Disposition: form-data; name="a"\r\n\r\nAAAA\r\n--XX\r\n' +
        "Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''%C3%A9t%C3%A9.txt\r\n\r\nhello\r\n--XX--\r\nepilogue",
    );
    const reader = new MultipartReader(chunked(body, 5), "XX");
    expect((await reader.next())?.name).toBe("a");
    const file = await reader.next();
    expect(file).toMatchObject({ name: "file", filename: "été.txt" });
    expect(await reader.text(100)).toBe("hello");
    expect(await reader.next()).toBeNull();
  });

  it("text() refuses a part larger than the limit", async () => {
    const body = enc.encode('--XX\r\nContent-Disposition: form-data; name="a"\r\n\r\n0123456789\r\n--XX--');
    const reader = new MultipartReader(chunked(body, 3), "XX");
    await reader.next();
    expect(await reader.text(5)).toBeUndefined();
  });

  it("refuses a truncated body, a part without name and oversized headers", async () => {
    const truncated = enc.encode('--XX\r\nContent-Disposition: form-data; name="a"\r\n\r\nabc');
    const r1 = new MultipartReader(chunked(truncated, 4), "XX");
    await r1.next();
    await expect(readAll(r1)).rejects.toBeInstanceOf(MultipartError);

    const noName = enc.encode("--XX\r\nContent-Disposition: form-data\r\n\r\nabc\r\n--XX--");
    await expect(new MultipartReader(chunked(noName, 4), "XX").next()).rejects.toThrow(/no name/);

    const huge = enc.encode(`--XX\r\nX-Pad: ${"a".repeat(10_000)}\r\n\r\n`);
    await expect(new MultipartReader(chunked(huge, 512), "XX").next()).rejects.toThrow(/too large/);

    const notForm = enc.encode("--XX\r\nContent-Type: text/plain\r\n\r\nabc\r\n--XX--");
    await expect(new MultipartReader(chunked(notForm, 4), "XX").next()).rejects.toThrow(/form-data/);
  });

  it("returns null for an empty form", async () => {
    const reader = new MultipartReader(chunked(enc.encode("--XX--\r\n"), 2), "XX");
    expect(await reader.next()).toBeNull();
  });

  it("maxParts: a form with more parts than allowed is refused when the next one starts", async () => {
    const form = new FormData();
    for (let i = 0; i < 5; i++) form.append(`field${i}`, `v${i}`);
    const { bytes, type } = await formBytes(form);
    const boundary = getBoundary(type) as string;
    expect(await readAll(new MultipartReader(chunked(bytes, 7), boundary, { maxParts: 5 }))).toHaveLength(5);
    const reader = new MultipartReader(chunked(bytes, 7), boundary, { maxParts: 4 });
    for (let i = 0; i < 4; i++) expect((await reader.next())?.name).toBe(`field${i}`);
    const refused = await reader.next().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(MultipartError);
    expect((refused as Error).message).toContain("more than 4 parts");
  });
});

describe("delimiterSearch", () => {
  /** The first index of `needle` at or after `from`, byte by byte: the oracle. */
  function naive(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
    outer: for (let i = from; i + needle.length <= haystack.length; i++) {
      for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
      return i;
    }
    return -1;
  }

  it("finds what a byte-by-byte search finds: planted, overlapping, at the edges, and nothing", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const needles = ["\r\n--x", "\r\n--aaaaaa", "\r\n--\r\n--b", `\r\n--${"-".repeat(30)}z9`].map((n) =>
      enc.encode(n),
    );
    for (const needle of needles) {
      const find = delimiterSearch(needle);
      for (let round = 0; round < 200; round++) {
        // Mostly bytes of the needle itself, so that near misses are common.
        const hay = new Uint8Array(random() % 400).map(() =>
          random() % 4 === 0 ? random() & 0xff : (needle[random() % needle.length] as number),
        );
        if (round % 3 === 0 && hay.length >= needle.length)
          hay.set(needle, random() % (hay.length - needle.length + 1));
        const from = random() % 8;
        expect(find(hay, from), `round ${round}`).toBe(naive(hay, needle, from));
      }
      expect(find(needle)).toBe(0);
      expect(find(needle.subarray(1))).toBe(-1);
      expect(find(new Uint8Array(0))).toBe(-1);
    }
  });
});
