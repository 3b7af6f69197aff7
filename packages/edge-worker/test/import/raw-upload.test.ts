/**
 * The raw form of `POST /api/files` with an import contract: the file as the whole
 * `application/octet-stream` body, its descriptor and name in headers. Delivered byte for byte
 * (read whole up to 1 MiB, piped by workerd above), held to its `Content-Length` (one byte more or
 * less is refused and nothing is imported), the descriptor checked as the multipart part is, the
 * route's CSRF and session rules, a postbox contract refused, and the typed client sending it.
 */
import { describe, expect, it, vi } from "vitest";
import { createClient } from "../../src/client.ts";
import { MAX_DESCRIPTOR_BYTES } from "../../src/lib/descriptor.ts";
import { RAW_UPLOAD_HEADERS, RAW_UPLOAD_TYPE, rawUploadHeaders } from "../../src/lib/raw-upload.ts";
import { REPLAYABLE_BYTES } from "../../src/lib/upload.ts";
import { errorOf, expectSecurityHeaders } from "../support/answers.ts";
import { Browser, type CallInit, preflight } from "../support/browser.ts";
import { bytesOf, sha256, streamOf } from "../support/bytes.ts";
import { emulator } from "../support/emulator-admin.ts";
import { importedFiles, signedInImportUser } from "../support/import-users.ts";
import { postFiles } from "../support/posts.ts";
import { APP_ORIGIN, ORIGIN, testEnv } from "../support/test-env.ts";

/** Posts `body` raw: `headers` over the raw upload's own; a stream goes with the given length only. */
function postRaw(
  browser: Browser,
  body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>,
  headers: Record<string, string> = {},
  init: CallInit = {},
): Promise<Response> {
  return postFiles(browser, {
    headers: { "Content-Type": RAW_UPLOAD_TYPE, ...headers },
    body,
    // @ts-expect-error duplex is needed for a stream body and missing from the types
    duplex: "half",
    ...init,
  });
}

describe("POST /api/files, raw (import contract)", () => {
  it.each([
    ["read whole (small)", 3000],
    ["piped (over 1 MiB)", REPLAYABLE_BYTES + 70_001],
    ["empty", 0],
  ] as const)("imports the file byte for byte: %s", async (_name, size) => {
    const { browser, digimeUser } = await signedInImportUser();
    const data = bytesOf(size, size + 3);
    const descriptor = { mimeType: "application/pdf", tags: ["t1", "é"], reference: ["r1"] };
    const response = await postRaw(browser, data, rawUploadHeaders(descriptor, "dossier/été.pdf", undefined));
    expectSecurityHeaders(response);
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.json()).toEqual({ status: "delivered", fileName: "été.pdf", bytes: size });
    const [file, ...rest] = await importedFiles(digimeUser.id);
    expect(rest).toEqual([]);
    expect(file?.size).toBe(size);
    expect(file?.sha256).toBe(await sha256(data));
    expect(file?.metadata).toEqual({ ...descriptor, accounts: [{ accountId: browser.userId }] });
    if (size > 0) expect(await emulator.download(file?.url as string)).toEqual(data);
    const stats = await emulator.stats();
    expect(stats.imports).toBe(1);
    expect(stats.writes).toBe(0);
  });

  it("without headers: the descriptor's defaults and the name `upload`", async () => {
    const { browser, digimeUser } = await signedInImportUser();
    const response = await postRaw(browser, bytesOf(100, 1));
    expect(await response.json()).toEqual({ status: "delivered", fileName: "upload", bytes: 100 });
    const [file] = await importedFiles(digimeUser.id);
    expect(file?.metadata).toEqual({
      mimeType: "application/octet-stream",
      accounts: [{ accountId: browser.userId }],
    });
  });

  it("refuses a bad descriptor or file name header with the multipart form's codes, before digi.me is asked", async () => {
    const { browser, digimeUser } = await signedInImportUser();
    const huge = encodeURIComponent(JSON.stringify({ tags: ["x".repeat(MAX_DESCRIPTOR_BYTES)] }));
    const cases: [Record<string, string>, string, string][] = [
      [{ [RAW_UPLOAD_HEADERS.fileDescriptor]: "%7B%E0%A4%A" }, "BAD_DESCRIPTOR", "percent-encoded"],
      [{ [RAW_UPLOAD_HEADERS.fileDescriptor]: "not%20json" }, "BAD_DESCRIPTOR", "not valid JSON"],
      [{ [RAW_UPLOAD_HEADERS.fileDescriptor]: "" }, "BAD_DESCRIPTOR", "not valid JSON"],
      [
        { [RAW_UPLOAD_HEADERS.fileDescriptor]: encodeURIComponent('{"mimeType":"text/plain","nope":1}') },
        "BAD_DESCRIPTOR",
        "unknown field(s) nope",
      ],
      [
        { [RAW_UPLOAD_HEADERS.fileDescriptor]: encodeURIComponent('{"mimeType":"not a type"}') },
        "BAD_DESCRIPTOR",
        "mimeType must be a media type",
      ],
      [{ [RAW_UPLOAD_HEADERS.fileDescriptor]: huge }, "BAD_DESCRIPTOR", "too large"],
      [{ [RAW_UPLOAD_HEADERS.fileName]: "%E0%A4%A" }, "BAD_FILE_NAME", "percent-encoded"],
    ];
    for (const [headers, code, message] of cases) {
      const error = await errorOf(await postRaw(browser, bytesOf(10, 2), headers));
      expect(error, message).toMatchObject({ status: 400, code });
      expect(error.message, message).toContain(message);
    }
    const stats = await emulator.stats();
    expect(stats.requests.import).toBe(0);
    expect(await importedFiles(digimeUser.id)).toEqual([]);
  });

  it("needs a Content-Length within the limit: 411 LENGTH_REQUIRED, 413 PAYLOAD_TOO_LARGE", async () => {
    const { browser } = await signedInImportUser();
    const unsized = await postRaw(browser, streamOf(bytesOf(5000, 4)));
    expect(await errorOf(unsized)).toMatchObject({ status: 411, code: "LENGTH_REQUIRED" });
    const limit = Number(testEnv.MAX_UPLOAD_BYTES);
    const big = await postRaw(browser, bytesOf(limit + 1, 5));
    expect(await errorOf(big)).toMatchObject({ status: 413, code: "PAYLOAD_TOO_LARGE" });
    expect((await emulator.stats()).requests.import).toBe(0);
  });

  it.each([
    ["read whole", 5000],
    ["piped", 2 * REPLAYABLE_BYTES + 7],
  ] as const)(
    "one byte longer or shorter than its Content-Length (%s): 400 BAD_FILE_BODY, nothing imported",
    async (_name, size) => {
      const { browser, digimeUser } = await signedInImportUser();
      const data = bytesOf(size + 1, 6);
      for (const [what, sent] of [
        ["longer", data],
        ["shorter", data.subarray(0, size - 1)],
      ] as const) {
        const answer = await postRaw(browser, streamOf(sent), { "Content-Length": String(size) });
        const error = await errorOf(answer);
        expect(error, what).toMatchObject({ status: 400, code: "BAD_FILE_BODY" });
        expect(error.message, what).toContain(`${what} than its Content-Length`);
      }
      // A piped body goes on before its end is known, and is aborted: the emulator may count the
      // second request a moment after the Worker answered.
      const expected = size > REPLAYABLE_BYTES ? 2 : 0;
      await vi.waitFor(async () => expect((await emulator.stats()).requests.import).toBe(expected), {
        timeout: 10_000,
      });
      expect((await emulator.stats()).imports).toBe(0);
      expect(await importedFiles(digimeUser.id)).toEqual([]);
    },
  );

  it("keeps the route's CSRF and session rules, and a postbox contract takes the multipart form only", async () => {
    const { browser, digimeUser } = await signedInImportUser();
    const data = bytesOf(64, 7);
    const foreign = await postRaw(browser, data, {}, { origin: "https://evil.test" });
    expect(await errorOf(foreign)).toMatchObject({ status: 403, code: "CSRF_ORIGIN" });
    const noOrigin = await postRaw(browser, data, {}, { origin: null });
    expect(await errorOf(noOrigin)).toMatchObject({ status: 403, code: "CSRF_ORIGIN" });
    const anonymous = await postRaw(new Browser(), data);
    expect(await errorOf(anonymous)).toMatchObject({ status: 401, code: "UNAUTHENTICATED" });
    const postbox = await postRaw(browser, data, {}, { env: { DIGIME_WRITE_API: "postbox" } });
    expect(await errorOf(postbox)).toMatchObject({ status: 409, code: "IMPORT_API_REQUIRED" });
    expect((await emulator.stats()).requests.import).toBe(0);
    expect(await importedFiles(digimeUser.id)).toEqual([]);
  });

  it("CORS lets the app send the descriptor and name headers; another origin gets none", async () => {
    const names = "content-type,x-digime-file-descriptor,x-digime-file-name";
    const asked = await preflight(new Browser(), "/api/files", APP_ORIGIN, "POST", names);
    expect(asked.headers.get("Access-Control-Allow-Origin")).toBe(APP_ORIGIN);
    const allowed = (asked.headers.get("Access-Control-Allow-Headers") ?? "").toLowerCase().split(/,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(names.split(",")));
    const foreign = await preflight(new Browser(), "/api/files", "https://evil.test", "POST", names);
    expect(foreign.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("the typed client sends a Blob raw, the file's type as mimeType, with progress", async () => {
    const { browser, digimeUser } = await signedInImportUser();
    const sent: string[] = [];
    const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      if (request.method === "POST") sent.push(request.headers.get("Content-Type") ?? "");
      return browser.fetchForClient(input, init);
    }) as typeof globalThis.fetch;
    const client = createClient(ORIGIN, { fetch });
    const data = bytesOf(REPLAYABLE_BYTES + 999, 8);
    const progress: [number, number | undefined][] = [];
    const result = await client.upload(
      new File([data], "scan.pdf", { type: "application/pdf" }),
      { tags: ["a"] },
      { onProgress: (done, total) => progress.push([done, total]) },
    );
    expect(result).toEqual({ status: "delivered", fileName: "scan.pdf", bytes: data.length });
    expect(sent).toEqual(["application/octet-stream"]);
    expect(progress).toEqual([
      [0, data.length],
      [data.length, data.length],
    ]);
    const [file] = await importedFiles(digimeUser.id);
    expect(file?.sha256).toBe(await sha256(data));
    expect(file?.metadata).toEqual({
      mimeType: "application/pdf",
      tags: ["a"],
      accounts: [{ accountId: browser.userId }],
    });
  });
});
