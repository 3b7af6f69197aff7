/**
 * tus-js-client (the protocol's reference client, `BaseUpload`) against the Worker: its HTTP stack
 * is the test browser (cookies, app origin), which drops the connection twice in the middle of an
 * upload (the body ends early and the answer never arrives). tus-js-client retries, asks HEAD where
 * to resume, and finishes: the file is delivered once, byte for byte, and nothing stays in R2.
 * 24 MiB per upload in PATCHes of 8 MiB (parts of 5 MiB) here; `TUS_LARGE=1` runs 300 MiB in
 * PATCHes of 50 MiB. With R2 failing on a part and on the completion, tus-js-client retries the
 * 503s and the final PATCH still returns the delivery's result.
 */
import { env } from "cloudflare:workers";
import NoopUrlStorage from "tus-js-client/lib.esm/noopUrlStorage.js";
import BaseUpload from "tus-js-client/lib.esm/upload.js";
import { describe, expect, it } from "vitest";
import { STAGING_PART_BYTES } from "../../src/lib/tus/upload-types.ts";
import { type Browser, signedInUser } from "../support/browser.ts";
import { bytesOf, sha256 } from "../support/bytes.ts";
import { emulator } from "../support/emulator-admin.ts";
import { failingBucket } from "../support/failing-bucket.ts";
import { publicKeyOf, sealInNode } from "../support/sealed-uploads.ts";
import { APP_ORIGIN, ORIGIN } from "../support/test-env.ts";
import { stagedKeys } from "../support/tus-requests.ts";

const LARGE = (env as unknown as { TUS_LARGE?: string }).TUS_LARGE === "1";
const SIZE = LARGE ? 300 * 1024 * 1024 : 24 * 1024 * 1024;
/** tus-js-client's `chunkSize`: at most `TUS_CHUNK_MAX_BYTES` (50 MiB) per PATCH, as a client must. */
const CHUNK = LARGE ? 50 * 1024 * 1024 : 8 * 1024 * 1024;

interface TusResponse {
  getStatus(): number;
  getHeader(name: string): string | undefined;
  getBody(): string;
  getUnderlyingObject(): unknown;
}

/**
 * tus-js-client's HTTP stack over the test browser. `cuts` are the upload offsets at which a PATCH
 * loses its connection: its body ends there and its answer is lost (the Worker keeps what came).
 * `env` overrides the Worker's bindings (a failing staging bucket).
 */
function browserStack(browser: Browser, cuts: number[], log: string[], env?: Record<string, unknown>) {
  return {
    getName: () => "test-browser",
    createRequest(method: string, url: string) {
      const headers = new Headers();
      return {
        getMethod: () => method,
        getURL: () => url,
        setHeader: (name: string, value: string) => headers.set(name, value),
        getHeader: (name: string) => headers.get(name) ?? undefined,
        setProgressHandler: () => {},
        abort: async () => {},
        getUnderlyingObject: () => null,
        async send(body?: Uint8Array): Promise<TusResponse> {
          const offset = Number(headers.get("Upload-Offset") ?? 0);
          const cut =
            method === "PATCH" && body
              ? cuts.find((at) => at > offset && at < offset + body.length)
              : undefined;
          let sent: Uint8Array | ReadableStream<Uint8Array> | undefined = body;
          if (cut !== undefined && body) {
            cuts.splice(cuts.indexOf(cut), 1);
            const part = body.subarray(0, cut - offset);
            let at = 0;
            sent = new ReadableStream<Uint8Array>({
              pull(controller) {
                if (at >= part.length) return controller.close();
                controller.enqueue(part.slice(at, at + (1 << 20)));
                at += 1 << 20;
              },
            });
          }
          const response = await browser.fetch(url, {
            method,
            origin: APP_ORIGIN,
            headers,
            ...(env ? { env } : {}),
            ...(sent === undefined ? {} : { body: sent, duplex: "half" }),
          } as RequestInit);
          const text = await response.text();
          log.push(`${method} ${response.status}${cut === undefined ? "" : " (cut)"}`);
          const location = response.headers.get("Location");
          if (location) log.push(`Location ${location}`);
          if (cut !== undefined) throw new Error("the connection dropped");
          return {
            getStatus: () => response.status,
            getHeader: (name) => response.headers.get(name) ?? undefined,
            getBody: () => text,
            getUnderlyingObject: () => response,
          };
        },
      };
    },
  };
}

/** tus-js-client's file reader over bytes in memory (a slice carries its `size`, as a Blob's). */
const bytesReader = {
  async openFile(input: Uint8Array) {
    return {
      size: input.length,
      slice: async (start: number, end: number) => {
        const value = input.subarray(start, Math.min(end, input.length));
        return { value: Object.assign(value, { size: value.length }), done: end >= input.length };
      },
      close: () => {},
    };
  },
};

/**
 * Uploads `file` with tus-js-client, two cuts in the middle (or `options.cuts`); returns the final
 * response's JSON and the log.
 */
function tusUpload(
  browser: Browser,
  file: Uint8Array,
  metadata: Record<string, string>,
  options: { cuts?: number[]; env?: Record<string, unknown> } = {},
) {
  const log: string[] = [];
  const cuts = options.cuts ?? [Math.floor(file.length * 0.3), Math.floor(file.length * 0.7)];
  return new Promise<{ result: unknown; log: string[]; progress: number[] }>((resolve, reject) => {
    const progress: number[] = [];
    const upload = new BaseUpload(file, {
      ...BaseUpload.defaultOptions,
      endpoint: `${ORIGIN}/api/uploads`,
      metadata,
      httpStack: browserStack(browser, cuts, log, options.env),
      fileReader: bytesReader,
      urlStorage: new NoopUrlStorage(),
      fingerprint: async () => null,
      storeFingerprintForResuming: false,
      retryDelays: [0, 0, 0],
      chunkSize: CHUNK,
      onProgress: (sent: number) => progress.push(sent),
      onSuccess: (payload: { lastResponse: TusResponse }) =>
        resolve({ result: JSON.parse(payload.lastResponse.getBody() || "null"), log, progress }),
      onError: reject,
    });
    upload.start();
  });
}

describe(`tus-js-client through the Worker, ${SIZE / 1024 / 1024} MiB with two dropped connections`, () => {
  it("plain: resumed twice, delivered once, byte for byte; R2 empty", {
    timeout: LARGE ? 600_000 : 60_000,
  }, async () => {
    const { browser, postboxId } = await signedInUser();
    const file = bytesOf(SIZE, 11);
    const { result, log } = await tusUpload(browser, file, { filename: "tus.bin", filetype: "video/mp4" });
    expect(log.filter((l) => l.endsWith("(cut)"))).toHaveLength(2);
    expect(log.filter((l) => l.startsWith("HEAD 200"))).toHaveLength(2);
    expect(result).toMatchObject({ status: "delivered", fileName: "tus.bin", bytes: SIZE });
    const files = await emulator.files(postboxId);
    expect(files).toHaveLength(1);
    expect(files[0]?.size).toBe(SIZE);
    expect(files[0]?.sha256).toBe(await sha256(file));
    expect(await stagedKeys(locationOf(log))).toEqual([]);
  });

  it("sealed: the ciphertext resumed twice, delivered once, decrypts to the file; R2 empty", {
    timeout: LARGE ? 600_000 : 60_000,
  }, async () => {
    const { browser, postboxId, userId } = await signedInUser();
    const file = bytesOf(SIZE - 1000, 12);
    const sealed = await sealInNode(await publicKeyOf(browser), file, {
      mimeType: "application/octet-stream",
      accounts: [{ accountId: userId }],
    });
    const body = sealed.body as Uint8Array<ArrayBuffer>;
    expect(body.length).toBeGreaterThan(4 * STAGING_PART_BYTES);
    const { result, log } = await tusUpload(browser, body, {
      filename: "sealed.bin",
      iv: sealed.iv,
      symmetricalKey: sealed.symmetricalKey,
      metadata: sealed.metadata,
    });
    expect(log.filter((l) => l.endsWith("(cut)"))).toHaveLength(2);
    expect(result).toMatchObject({ status: "delivered", bytes: body.length });
    const files = await emulator.files(postboxId);
    expect(files).toHaveLength(1);
    expect(files[0]?.sha256).toBe(await sha256(file));
    expect(await stagedKeys(locationOf(log))).toEqual([]);
  });
});

describe("tus-js-client through the Worker with R2 failing", () => {
  it("a part and the completion fail: the 503s retried, delivered once, byte for byte; R2 empty", async () => {
    const { browser, postboxId } = await signedInUser();
    const file = bytesOf(3 * STAGING_PART_BYTES + 1234, 13);
    const r2 = failingBucket();
    r2.fail("uploadPart", { skip: 1 });
    r2.fail("complete");
    const { result, log } = await tusUpload(browser, file, { filename: "r2.bin" }, { cuts: [], env: r2.env });
    expect(r2.failed).toEqual(["uploadPart", "complete"]);
    expect(log.filter((l) => l === "PATCH 503")).toHaveLength(2);
    expect(result).toMatchObject({ status: "delivered", fileName: "r2.bin", bytes: file.length });
    const files = await emulator.files(postboxId);
    expect(files).toHaveLength(1);
    expect(files[0]?.sha256).toBe(await sha256(file));
    expect(await stagedKeys(locationOf(log))).toEqual([]);
  });
});

/** The upload's URL, from the creation's answer in the log. */
function locationOf(log: string[]): string {
  const line = log.find((l) => l.startsWith("Location "));
  if (!line) throw new Error("no upload was created");
  return line.slice("Location ".length);
}
