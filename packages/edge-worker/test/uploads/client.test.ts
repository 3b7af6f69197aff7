/**
 * The typed client's `uploadResumable` against the Worker: plain and sealed files sent in PATCHes,
 * two connections dropped mid-PATCH (the body cut, the answer lost), resumed from HEAD's offset:
 * delivered once, byte for byte; a plain upload resumed by a second call with its URL (as after a
 * page reload); cancellation.
 */
import { describe, expect, it } from "vitest";
import { createClient, EdgeClientError } from "../../src/client.ts";
import { STAGING_PART_BYTES } from "../../src/lib/tus/upload-types.ts";
import { type Browser, signedInUser } from "../support/browser.ts";
import { bytesOf, sha256 } from "../support/bytes.ts";
import { emulator } from "../support/emulator-admin.ts";
import { ORIGIN } from "../support/test-env.ts";
import { stagedKeys } from "../support/tus-requests.ts";

/**
 * The browser's `fetch` for the client, dropping the connection of the PATCHes at `cuts` (upload
 * offsets): the Worker gets the body up to the cut, the client a network error.
 */
function droppingFetch(browser: Browser, cuts: number[]) {
  const log: string[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const offset = Number(request.headers.get("Upload-Offset") ?? 0);
    const body = request.method === "PATCH" ? new Uint8Array(await request.arrayBuffer()) : undefined;
    const cut = body ? cuts.find((at) => at > offset && at < offset + body.length) : undefined;
    if (cut === undefined || !body) {
      const response = await browser.fetchForClient(request.url, {
        method: request.method,
        headers: request.headers,
        ...(body ? { body } : request.body ? { body: await request.arrayBuffer() } : {}),
        signal: init?.signal ?? null,
      });
      log.push(`${request.method} ${response.status}`);
      return response;
    }
    cuts.splice(cuts.indexOf(cut), 1);
    const part = body.subarray(0, cut - offset);
    let at = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= part.length) return controller.close();
        controller.enqueue(part.slice(at, at + (1 << 20)));
        at += 1 << 20;
      },
    });
    const response = await browser.fetchForClient(request.url, {
      method: "PATCH",
      headers: request.headers,
      body: stream,
      duplex: "half",
    } as RequestInit);
    await response.text();
    log.push("PATCH (cut)");
    throw new TypeError("the connection dropped");
  }) as typeof globalThis.fetch;
  return { fetch, log };
}

describe("uploadResumable", () => {
  it("plain: two dropped connections resumed; delivered once, byte for byte", async () => {
    const { browser, postboxId } = await signedInUser();
    const size = 3 * STAGING_PART_BYTES + 99;
    const file = new File([bytesOf(size, 21)], "resumed.bin", { type: "text/csv" });
    const { fetch, log } = droppingFetch(browser, [Math.floor(size * 0.4), Math.floor(size * 0.8)]);
    const progress: number[] = [];
    let url = "";
    const result = await createClient(ORIGIN, { fetch }).uploadResumable(file, {
      chunkBytes: 6 * 1024 * 1024,
      onProgress: (sent) => progress.push(sent),
      onUploadUrl: (u) => {
        url = u;
      },
    });
    expect(result).toMatchObject({ status: "delivered", fileName: "resumed.bin", bytes: size });
    expect(log.filter((l) => l === "PATCH (cut)")).toHaveLength(2);
    expect(log.filter((l) => l === "HEAD 200")).toHaveLength(2);
    expect(progress.at(-1)).toBe(size);
    const files = await emulator.files(postboxId);
    expect(files).toHaveLength(1);
    expect(files[0]?.sha256).toBe(await sha256(bytesOf(size, 21)));
    expect(files[0]?.metadata).toMatchObject({ mimeType: "text/csv" });
    expect(await stagedKeys(url)).toEqual([]);
  });

  it("sealed: sealed as it is read, two dropped connections resumed; decrypts to the file", async () => {
    const { browser, postboxId } = await signedInUser();
    const size = 2 * STAGING_PART_BYTES + 5;
    const bytes = bytesOf(size, 22);
    const { fetch, log } = droppingFetch(browser, [Math.floor(size * 0.3), Math.floor(size * 0.9)]);
    const result = await createClient(ORIGIN, { fetch }).uploadResumable(new Blob([bytes]), {
      sealed: true,
      fileName: "sealed.bin",
      chunkBytes: 4 * 1024 * 1024,
    });
    expect(result).toMatchObject({ status: "delivered", fileName: "sealed.bin" });
    expect(log.filter((l) => l === "PATCH (cut)")).toHaveLength(2);
    const files = await emulator.files(postboxId);
    expect(files).toHaveLength(1);
    expect(files[0]?.sha256).toBe(await sha256(bytes));
  });

  it("a plain upload stopped and resumed by another call with its URL (as after a reload)", async () => {
    const { browser, postboxId } = await signedInUser();
    const size = STAGING_PART_BYTES + 1000;
    const file = new Blob([bytesOf(size, 23)]);
    const controller = new AbortController();
    let url = "";
    const client = createClient(ORIGIN, { fetch: browser.fetchForClient });
    const first = client.uploadResumable(file, {
      chunkBytes: 1024 * 1024,
      signal: controller.signal,
      onUploadUrl: (u) => {
        url = u;
      },
      onProgress: (sent) => {
        if (sent >= 2 * 1024 * 1024) controller.abort();
      },
    });
    await expect(first).rejects.toMatchObject({ code: "ABORTED" });
    expect(await emulator.files(postboxId)).toEqual([]);
    const result = await client.uploadResumable(file, { uploadUrl: url, fileName: "x.bin" });
    expect(result).toMatchObject({ status: "delivered", bytes: size });
    expect((await emulator.files(postboxId))[0]?.sha256).toBe(await sha256(bytesOf(size, 23)));
    await expect(client.uploadResumable(file, { uploadUrl: url, sealed: true })).rejects.toBeInstanceOf(
      EdgeClientError,
    );
  });
});
