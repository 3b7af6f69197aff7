/**
 * Helpers of the resumable upload tests: tus requests through the test browser, bodies cut off
 * mid-way, and what the staging bucket holds.
 */
import { env } from "cloudflare:workers";
import { formatUploadMetadata } from "../../src/lib/tus/metadata.ts";
import type { Browser, CallInit } from "./browser.ts";
import { APP_ORIGIN } from "./test-env.ts";

/** The staging bucket of the tests. */
export const staging = (env as unknown as Env).TUS_STAGING;

/** Every key in the staging bucket of the upload at `location` (the bucket outlives each test). */
export async function stagedKeys(location: string): Promise<string[]> {
  const prefix = `staging/${location.split("/").pop()}`;
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await staging.list({ prefix, ...(cursor ? { cursor } : {}) });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys;
}

/** What the staging bucket holds of the upload at `location`, object by object. */
export async function stagedBytes(location: string): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const key of await stagedKeys(location)) {
    const object = await staging.get(key);
    if (object) out.push(new Uint8Array(await object.arrayBuffer()));
  }
  return out;
}

/** Whether `needle` (at least 32 bytes) occurs in `haystack`. */
export function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  const first = needle[0];
  outer: for (let i = haystack.indexOf(first as number); i >= 0 && i <= haystack.length - needle.length; ) {
    for (let j = 1; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) {
        i = haystack.indexOf(first as number, i + 1);
        continue outer;
      }
    }
    return true;
  }
  return false;
}

/** tus request headers: `Tus-Resumable: 1.0.0` and more. */
export function tusHeaders(more: Record<string, string> = {}): Headers {
  return new Headers({ "Tus-Resumable": "1.0.0", ...more });
}

/** `POST /api/uploads` from the app origin (`init.headers` added to tus's). */
export function create(
  browser: Browser,
  length: number,
  metadata: Record<string, string> = { filename: "file.bin" },
  init: CallInit = {},
): Promise<Response> {
  const { headers, ...rest } = init;
  return browser.fetch("/api/uploads", {
    method: "POST",
    origin: APP_ORIGIN,
    ...rest,
    headers: tusHeaders({
      "Upload-Length": String(length),
      "Upload-Metadata": formatUploadMetadata(metadata),
      ...(headers as Record<string, string> | undefined),
    }),
  });
}

/** `POST /api/uploads` from the app origin with exactly these headers (and `Tus-Resumable`). */
export function createRaw(browser: Browser, headers: Record<string, string>): Promise<Response> {
  return browser.fetch("/api/uploads", { method: "POST", origin: APP_ORIGIN, headers: tusHeaders(headers) });
}

/**
 * `PATCH` of `bytes` at `offset` from the app origin; `cutAfter` sends them as a stream (no
 * `Content-Length`) that ends after that many bytes, as a body cut off there.
 */
export function patch(
  browser: Browser,
  location: string,
  offset: number,
  bytes: Uint8Array,
  options: { cutAfter?: number; headers?: Record<string, string>; init?: CallInit } = {},
): Promise<Response> {
  const { cutAfter } = options;
  const body =
    cutAfter === undefined
      ? bytes
      : (() => {
          let at = 0;
          return new ReadableStream<Uint8Array>({
            pull(controller) {
              // workerd hands the Worker a body that errors as one that ends there (a dropped
              // connection between chunks); ended here rather than errored, which workerd would
              // also report as an uncaught rejection.
              if (at >= cutAfter) return controller.close();
              controller.enqueue(bytes.slice(at, Math.min(cutAfter, at + (1 << 20))));
              at += 1 << 20;
            },
          });
        })();
  return browser.fetch(location, {
    method: "PATCH",
    origin: APP_ORIGIN,
    headers: tusHeaders({
      "Content-Type": "application/offset+octet-stream",
      "Upload-Offset": String(offset),
      ...options.headers,
    }),
    body,
    // @ts-expect-error duplex is needed for a stream body and missing from the types
    duplex: "half",
    ...options.init,
  });
}

/** `HEAD` of an upload: its offset, or the status when it is not 200. */
export async function head(browser: Browser, location: string): Promise<{ status: number; offset: number }> {
  const response = await browser.fetch(location, { method: "HEAD", headers: tusHeaders() });
  return { status: response.status, offset: Number(response.headers.get("Upload-Offset")) };
}
