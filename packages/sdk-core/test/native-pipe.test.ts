/**
 * A marked stream (`pipeNatively`) is piped into a `FixedLengthStream` as workerd pipes an incoming
 * body: head, file and tail in one body of the exact length, the tail only after the whole file,
 * and a failed file told apart from a cancelled request. Node has no `FixedLengthStream`: a
 * stand-in with its rules (no byte more than declared, none fewer at the close) is installed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { normalizeFileData } from "../src/internal/file-data.ts";
import { multipartBody } from "../src/internal/multipart.ts";
import { isPipedNatively, nativeLength, pipeNatively } from "../src/internal/native-pipe.ts";
import { rawBody } from "../src/request/raw-body.ts";
import { parseMultipart } from "./support/fake-digime.ts";

class FixedLengthStand extends TransformStream<Uint8Array, Uint8Array> {
  constructor(length: number) {
    let seen = 0;
    super({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > length) throw new TypeError("too many bytes");
        controller.enqueue(chunk);
      },
      flush() {
        if (seen !== length) throw new TypeError("too few bytes");
      },
    });
  }
}

const globals = globalThis as { FixedLengthStream?: unknown };
beforeEach(() => {
  globals.FixedLengthStream = FixedLengthStand;
});
afterEach(() => {
  delete globals.FixedLengthStream;
});

const file = new Uint8Array(300_000).map((_, i) => (i * 7) % 256);

function chunked(bytes: Uint8Array, size: number, fail?: Error): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (fail && at >= bytes.length / 2) return controller.error(fail);
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

describe("pipeNatively", () => {
  it("marks the stream itself, and nothing else", () => {
    const stream = chunked(file, 1000);
    expect(pipeNatively(stream)).toBe(stream);
    expect(isPipedNatively(stream)).toBe(true);
    expect(isPipedNatively(chunked(file, 1000))).toBe(false);
    expect(isPipedNatively(file)).toBe(false);
  });

  it("a marked stream of known size is one piped body of the exact length; progress comes once, at the end", async () => {
    const progress: [number, number | undefined][] = [];
    const multipart = await multipartBody({
      fileName: "p.bin",
      file: pipeNatively(chunked(file, 65_536)),
      fileSize: file.length,
      stream: true,
      onProgress: (sent, total) => progress.push([sent, total]),
    });
    expect(multipart.streamed).toBe(true);
    expect(multipart.silentBytes).toBe(multipart.length);
    expect(multipart.bodyPulled()).toBe(false);
    const body = Buffer.from(await new Response(multipart.body).arrayBuffer());
    expect(body.length).toBe(multipart.length);
    const part = parseMultipart(multipart.contentType, body);
    expect(Buffer.compare(part.data, Buffer.from(file))).toBe(0);
    expect(multipart.bodyPulled()).toBe(true);
    expect(multipart.bodyDone?.()).toBe(true);
    expect(multipart.bodyError()).toBeUndefined();
    expect(progress).toEqual([[body.length, body.length]]);
  });

  it("a file that fails mid-way errors the body before its tail, and is the body's error", async () => {
    const failure = new Error("the client went away");
    const multipart = await multipartBody({
      fileName: "f.bin",
      file: pipeNatively(chunked(file, 10_000, failure)),
      fileSize: file.length,
      stream: true,
    });
    const read = await new Response(multipart.body).arrayBuffer().then(
      () => "whole",
      () => "failed",
    );
    expect(read).toBe("failed");
    expect(multipart.bodyError()).toBe(failure);
    expect(multipart.bodyDone?.()).toBe(false);
  });

  it("a file shorter than its size never makes a whole body", async () => {
    const multipart = await multipartBody({
      fileName: "s.bin",
      file: pipeNatively(chunked(file.subarray(0, 1000), 500)),
      fileSize: 2000,
      stream: true,
    });
    // The body's error is the stand-in's refusal of a short close, as workerd refuses one.
    const error = await new Response(multipart.body).arrayBuffer().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe("too few bytes");
    expect(multipart.bodyDone?.()).toBe(true);
  });

  it("a request that stops reading cancels the file, and is no failure of the file", async () => {
    let cancelled: unknown;
    let at = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(file.slice(at, at + 1000));
        at += 1000;
      },
      cancel(reason) {
        cancelled = reason ?? "cancelled";
      },
    });
    const multipart = await multipartBody({
      fileName: "c.bin",
      file: pipeNatively(source),
      fileSize: file.length,
      stream: true,
    });
    const reader = (multipart.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.read();
    const aborted = new Error("request aborted");
    await reader.cancel(aborted);
    // The file is cancelled with the request's reason, once the pipe sees it (bounded wait).
    await vi.waitFor(() => expect(cancelled).toBe(aborted), { timeout: 5000, interval: 1 });
    expect(multipart.bodyError()).toBeUndefined();
    expect(multipart.bodyDone?.()).toBe(false);
  });

  it("an unmarked stream, or a runtime without FixedLengthStream, is read chunk by chunk as before", async () => {
    const unmarked = await multipartBody({
      fileName: "u.bin",
      file: chunked(file, 65_536),
      fileSize: file.length,
      stream: true,
    });
    expect(unmarked.silentBytes).toBeUndefined();
    delete globals.FixedLengthStream;
    const noFixed = await multipartBody({
      fileName: "n.bin",
      file: pipeNatively(chunked(file, 65_536)),
      fileSize: file.length,
      stream: true,
    });
    expect(noFixed.silentBytes).toBeUndefined();
    const part = parseMultipart(
      noFixed.contentType,
      Buffer.from(await new Response(noFixed.body).arrayBuffer()),
    );
    expect(Buffer.compare(part.data, Buffer.from(file))).toBe(0);
  });
});

describe("pipeNatively with a length (pushData's raw body)", () => {
  const attempt = { attempt: 1, touch: () => {} };
  const rawOf = (stream: ReadableStream<Uint8Array>, onProgress?: (s: number, t?: number) => void) =>
    rawBody(normalizeFileData(stream, ["data", "fileData"]), true, onProgress, stream);

  it("carries its length; a mark without one has none", () => {
    expect(nativeLength(pipeNatively(chunked(file, 1000), file.length))).toBe(file.length);
    expect(nativeLength(pipeNatively(chunked(file, 1000)))).toBeUndefined();
    expect(nativeLength(chunked(file, 1000))).toBeUndefined();
  });

  it("is the whole body of exactly its length, piped; progress once, when sent", async () => {
    const progress: [number, number | undefined][] = [];
    const raw = rawOf(pipeNatively(chunked(file, 65_536), file.length), (sent, total) =>
      progress.push([sent, total]),
    );
    const body = await raw.next(attempt);
    expect(body.silentBytes).toBe(file.length);
    expect(body.headers?.["Content-Length"]).toBe(String(file.length));
    const bytes = Buffer.from(await new Response(body.body).arrayBuffer());
    expect(Buffer.compare(bytes, Buffer.from(file))).toBe(0);
    expect(progress).toEqual([]);
    raw.sent();
    expect(progress).toEqual([[file.length, file.length]]);
    expect(raw.canResend()).toBe(false);
  });

  it("a stream shorter than its length never makes a whole body", async () => {
    const body = await rawOf(pipeNatively(chunked(file.subarray(0, 1000), 500), 2000)).next(attempt);
    const error = await new Response(body.body).arrayBuffer().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as TypeError).message).toBe("too few bytes");
  });

  it("a stream marked without a length is counted chunk by chunk", async () => {
    const unsized = await rawOf(pipeNatively(chunked(file, 65_536))).next(attempt);
    expect(unsized.silentBytes).toBeUndefined();
    // No length, no Content-Length: no headers of its own at all.
    expect(unsized.headers).toBeUndefined();
    expect(
      Buffer.compare(Buffer.from(await new Response(unsized.body).arrayBuffer()), Buffer.from(file)),
    ).toBe(0);
  });

  it("without FixedLengthStream it is the body as it is, with its Content-Length", async () => {
    delete globals.FixedLengthStream;
    const stream = pipeNatively(chunked(file, 65_536), file.length);
    const body = await rawOf(stream).next(attempt);
    expect(body.body).toBe(stream);
    expect(body.silentBytes).toBe(file.length);
    expect(body.headers?.["Content-Length"]).toBe(String(file.length));
  });
});
