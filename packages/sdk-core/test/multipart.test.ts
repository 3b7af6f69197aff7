import { describe, expect, it } from "vitest";
import { multipartBody } from "../src/internal/multipart.ts";
import { runtimeSupport } from "../src/internal/runtime.ts";
import { parseMultipart } from "./support/fake-digime.ts";

async function bytesOf(body: ReadableStream<Uint8Array> | Blob): Promise<Buffer> {
  return Buffer.from(await new Response(body).arrayBuffer());
}

const file = new Uint8Array(200_000).map((_, i) => i % 251);

describe("multipartBody", () => {
  it("one part named file, with filename and application/octet-stream, and an exact length", async () => {
    const multipart = await multipartBody({ fileName: "a.bin", file, fileSize: undefined, stream: true });
    const body = await bytesOf(multipart.body as ReadableStream<Uint8Array>);
    expect(multipart.streamed).toBe(true);
    expect(multipart.length).toBe(body.length);
    const boundary = /^multipart\/form-data; boundary=(----digime-edge-[A-Za-z0-9]{32})$/.exec(
      multipart.contentType,
    )?.[1];
    if (boundary === undefined) throw new Error("no boundary");
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    expect(body.subarray(0, head.length).toString("latin1")).toBe(head);
    expect(body.subarray(body.length - boundary.length - 8).toString("latin1")).toBe(
      `\r\n--${boundary}--\r\n`,
    );
    const part = parseMultipart(multipart.contentType, body);
    expect(Buffer.compare(part.data, Buffer.from(file))).toBe(0);
  });

  it("a random boundary per body", async () => {
    const a = await multipartBody({ fileName: "a", file, fileSize: undefined, stream: true });
    const b = await multipartBody({ fileName: "a", file, fileSize: undefined, stream: true });
    expect(a.contentType).not.toBe(b.contentType);
  });

  it("the Blob form holds the same bytes as the streamed one", async () => {
    const source = () => new Blob([file]).stream();
    const streamed = await multipartBody({
      fileName: "f",
      file: source(),
      fileSize: file.length,
      stream: true,
    });
    const blob = await multipartBody({ fileName: "f", file: source(), fileSize: undefined, stream: false });
    expect(blob.body).toBeInstanceOf(Blob);
    const a = await bytesOf(streamed.body);
    const b = await bytesOf(blob.body);
    expect(b.length).toBe(blob.length);
    expect(a.length).toBe(streamed.length);
    expect(
      parseMultipart(blob.contentType, b).data.equals(parseMultipart(streamed.contentType, a).data),
    ).toBe(true);
  });

  it("counts progress as the body is pulled, up to its length", async () => {
    const seen: [number, number | undefined][] = [];
    const multipart = await multipartBody({
      fileName: "f",
      file,
      fileSize: undefined,
      stream: true,
      onProgress: (sent, total) => seen.push([sent, total]),
    });
    expect(seen).toEqual([]);
    await bytesOf(multipart.body);
    expect(seen.at(-1)).toEqual([multipart.length, multipart.length]);
    expect(seen.length).toBeGreaterThan(3);
  });

  it("records the failure of the file's own stream", async () => {
    const failure = new Error("source broke");
    const file = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(failure);
      },
    });
    const multipart = await multipartBody({ fileName: "f", file, fileSize: undefined, stream: true });
    await expect(bytesOf(multipart.body)).rejects.toBe(failure);
    expect(multipart.bodyError()).toBe(failure);
  });
});

describe("runtimeSupport on Node", () => {
  it("streams request bodies and accepts redirect: error", () => {
    expect(runtimeSupport()).toEqual({
      redirectError: true,
      requestStreams: true,
      browser: false,
      name: "node",
    });
  });
});
