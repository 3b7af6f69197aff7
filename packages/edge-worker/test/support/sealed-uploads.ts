/** Sealed uploads: their headers, posting them, and sealing in this runtime or in Node. */
import { type SealedFile, seal } from "@digime-edge/sdk-core";
import { expect } from "vitest";
import type { Browser, CallInit } from "./browser.ts";
import { APP_ORIGIN, testEnv } from "./test-env.ts";

/** The envelope of a sealed upload and its body, as `seal` returns them. */
export interface SealedParts {
  iv: string;
  symmetricalKey: string;
  metadata: string;
  body: ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer>;
  size?: number;
}

/** The request headers of a sealed upload (any of them can be overridden, or dropped with `null`). */
export function sealedHeaders(
  sealed: Pick<SealedParts, "iv" | "symmetricalKey" | "metadata">,
  overrides: Record<string, string | null> = {},
): Headers {
  const headers = new Headers({
    "Content-Type": "application/octet-stream",
    "X-Digime-Iv": sealed.iv,
    "X-Digime-Symmetrical-Key": sealed.symmetricalKey,
    "X-Digime-Metadata": sealed.metadata,
    "X-Digime-File-Name": "sealed.bin",
  });
  for (const [name, value] of Object.entries(overrides)) {
    if (value === null) headers.delete(name);
    else headers.set(name, value);
  }
  return headers;
}

/**
 * Posts a sealed upload to `/api/sealed-files` as a browser on the allowed app origin would. A
 * `Uint8Array` body is sent with its `Content-Length`; a stream without one (as `fetch` streams).
 */
export function uploadSealedParts(
  browser: Browser,
  sealed: SealedParts,
  init: CallInit & { overrides?: Record<string, string | null> } = {},
): Promise<Response> {
  const { overrides, ...rest } = init;
  return browser.fetch("/api/sealed-files", {
    method: "POST",
    origin: APP_ORIGIN,
    headers: sealedHeaders(sealed, overrides),
    body: sealed.body,
    // @ts-expect-error duplex is needed for a stream body and missing from the types
    duplex: "half",
    ...rest,
  });
}

/** The postbox public key `GET /api/session` gives a signed-in browser. */
export async function publicKeyOf(browser: Browser): Promise<string> {
  const info = (await (await browser.fetch("/api/session")).json()) as { publicKey?: string };
  if (!info.publicKey) throw new Error("the session has no public key");
  return info.publicKey;
}

/**
 * Seals `data` with sdk-core in this runtime to `browser`'s postbox key, as a `text/plain` file of
 * account `x`.
 */
export async function sealFor(browser: Browser, data: Uint8Array<ArrayBuffer>): Promise<SealedFile> {
  return seal({
    publicKey: await publicKeyOf(browser),
    fileData: data,
    fileDescriptor: { mimeType: "text/plain", accounts: [{ accountId: "x" }] },
  });
}

/**
 * Seals `file` with sdk-core in Node (the global setup's sealer): returns the envelope and the
 * sealed body as Node streamed it, with its length.
 */
export async function sealInNode(
  publicKey: string,
  file: Uint8Array<ArrayBuffer>,
  descriptor: unknown,
): Promise<SealedParts & { size: number }> {
  const url = new URL("/seal", testEnv.TEST_SEALER_URL);
  url.searchParams.set("publicKey", publicKey);
  url.searchParams.set("descriptor", JSON.stringify(descriptor));
  const response = await fetch(url, { method: "POST", body: file });
  if (!response.ok) throw new Error(`sealer: ${response.status} ${await response.text()}`);
  const header = (name: string) => response.headers.get(name) as string;
  const body = new Uint8Array(await response.arrayBuffer());
  expect(body.length).toBe(Number(header("Content-Length")));
  return {
    iv: header("X-Digime-Iv"),
    symmetricalKey: header("X-Digime-Symmetrical-Key"),
    metadata: header("X-Digime-Metadata"),
    body,
    size: body.length,
  };
}
