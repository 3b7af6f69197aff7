/**
 * The typed client's `uploadResumable` against a scripted `fetch`: the tus requests it makes
 * (creation with `Upload-Length` and `Upload-Metadata`, PATCHes at the offsets the Worker gave),
 * waiting out 423 `UPLOAD_LOCKED` and resuming from HEAD, delivering again once on
 * `TOKEN_REFRESHED_RETRY`, and the errors it ends with.
 */
import { describe, expect, it } from "vitest";
import { createClient, EdgeClientError } from "../../src/client.ts";
import { parseUploadMetadata } from "../../src/lib/tus/metadata.ts";

type Answer = (request: Request) => Response | Promise<Response>;

/** A `fetch` responding to each request with the next of `answers`, recording what came. */
function scripted(answers: Answer[]) {
  const requests: { method: string; url: string; headers: Headers; bytes: number }[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const bytes = (await request.arrayBuffer()).byteLength;
    requests.push({ method: request.method, url: request.url, headers: request.headers, bytes });
    const next = answers.shift();
    if (!next) throw new Error(`unexpected ${request.method} ${request.url}`);
    return next(request);
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

const created = () =>
  new Response(null, { status: 201, headers: { Location: "/api/uploads/abc", "Tus-Resumable": "1.0.0" } });
const accepted = (offset: number) =>
  new Response(null, { status: 204, headers: { "Upload-Offset": String(offset) } });
const headAt = (offset: number) =>
  new Response(null, { status: 200, headers: { "Upload-Offset": String(offset) } });
const delivered = (bytes: number) =>
  Response.json(
    { status: "delivered", fileName: "f.txt", bytes },
    { headers: { "Upload-Offset": String(bytes) } },
  );
const error = (status: number, code: string) => Response.json({ error: { code, message: code } }, { status });

describe("uploadResumable (scripted Worker)", () => {
  it("creates, PATCHes in chunks at the Worker's offsets, returns the delivery", async () => {
    const { fetch, requests } = scripted([
      created,
      () => accepted(4),
      () => accepted(8),
      () => delivered(10),
    ]);
    const progress: number[] = [];
    const result = await createClient("https://edge.example", { fetch }).uploadResumable(
      new File(["0123456789"], "f.txt", { type: "text/plain" }),
      { chunkBytes: 4, descriptor: { tags: ["t"] }, onProgress: (sent) => progress.push(sent) },
    );
    expect(result).toEqual({ status: "delivered", fileName: "f.txt", bytes: 10 });
    expect(requests.map((r) => [r.method, r.url, r.headers.get("Upload-Offset"), r.bytes])).toEqual([
      ["POST", "https://edge.example/api/uploads", null, 0],
      ["PATCH", "https://edge.example/api/uploads/abc", "0", 4],
      ["PATCH", "https://edge.example/api/uploads/abc", "4", 4],
      ["PATCH", "https://edge.example/api/uploads/abc", "8", 2],
    ]);
    const post = requests[0]?.headers as Headers;
    expect(post.get("Tus-Resumable")).toBe("1.0.0");
    expect(post.get("Upload-Length")).toBe("10");
    const metadata = parseUploadMetadata(post.get("Upload-Metadata") ?? undefined);
    expect(metadata.ok && Object.fromEntries(metadata.values)).toEqual({
      filename: "f.txt",
      filetype: "text/plain",
      fileDescriptor: '{"tags":["t"]}',
    });
    expect(requests[1]?.headers.get("Content-Type")).toBe("application/offset+octet-stream");
    expect(progress).toEqual([4, 8, 10]);
  });

  it("a dropped connection, then 423 while the cut PATCH is taken in: waits, asks HEAD, goes on", async () => {
    const { fetch, requests } = scripted([
      created,
      () => {
        throw new TypeError("socket hang up");
      },
      () => headAt(3),
      () => error(423, "UPLOAD_LOCKED"),
      () => headAt(6),
      () => delivered(10),
    ]);
    const result = await createClient("https://edge.example", { fetch }).uploadResumable(
      new Blob(["0123456789"]),
      {
        chunkBytes: 100,
      },
    );
    expect(result.status).toBe("delivered");
    expect(requests.map((r) => `${r.method} ${r.headers.get("Upload-Offset") ?? ""} ${r.bytes}`)).toEqual([
      "POST  0",
      "PATCH 0 10",
      "HEAD  0",
      "PATCH 3 7",
      "HEAD  0",
      "PATCH 6 4",
    ]);
  });

  it("TOKEN_REFRESHED_RETRY on the last PATCH: one empty PATCH delivers again; then the error stands", async () => {
    const once = scripted([created, () => error(503, "TOKEN_REFRESHED_RETRY"), () => delivered(3)]);
    expect(
      await createClient("https://edge.example", { fetch: once.fetch }).uploadResumable(new Blob(["abc"])),
    ).toMatchObject({
      status: "delivered",
    });
    expect(
      once.requests.map((r) => `${r.method} ${r.headers.get("Upload-Offset") ?? ""} ${r.bytes}`),
    ).toEqual(["POST  0", "PATCH 0 3", "PATCH 3 0"]);
    const twice = scripted([
      created,
      () => error(503, "TOKEN_REFRESHED_RETRY"),
      () => error(503, "TOKEN_REFRESHED_RETRY"),
    ]);
    await expect(
      createClient("https://edge.example", { fetch: twice.fetch }).uploadResumable(new Blob(["abc"])),
    ).rejects.toMatchObject({
      code: "TOKEN_REFRESHED_RETRY",
    });
  });

  it("gives up after `retries` dropped connections with NETWORK; a refused creation is the Worker's error", async () => {
    const hangUp = () => {
      throw new TypeError("socket hang up");
    };
    const { fetch } = scripted([created, hangUp, () => headAt(0), hangUp]);
    const failed = createClient("https://edge.example", { fetch }).uploadResumable(new Blob(["abc"]), {
      retries: 1,
    });
    await expect(failed).rejects.toMatchObject({ code: "NETWORK", status: 0 });
    const refused = scripted([() => error(413, "PAYLOAD_TOO_LARGE")]);
    const error413 = await createClient("https://edge.example", { fetch: refused.fetch })
      .uploadResumable(new Blob(["abc"]))
      .catch((e: unknown) => e);
    expect(error413).toBeInstanceOf(EdgeClientError);
    expect(error413).toMatchObject({ status: 413, code: "PAYLOAD_TOO_LARGE" });
  });
});
