/**
 * The typed client's uploads whose answer is lost, in Node against stand-ins for the Worker: the
 * `NETWORK` error says whether the file may have arrived (`mayHaveArrived`: the whole body was
 * sent, or `fetch` cannot tell) or cannot have (the body was not sent whole).
 */
import { generateKeyPairSync } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createClient, EdgeClientError } from "../../src/client.ts";
import type { XhrLike } from "../../src/client-transport.ts";

const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PUBLIC_PEM = publicKey.export({ type: "pkcs1", format: "pem" }).toString();
const SESSION = { authenticated: true, canWrite: true, accountId: "node-user", publicKey: PUBLIC_PEM };

/** A `fetch` that serves the session, and loses the answer to every upload (after `read`). */
function losingWorker(read: "whole body" | "nothing") {
  const uploads: string[] = [];
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (new URL(request.url).pathname === "/api/session") return Response.json(SESSION);
    uploads.push(new URL(request.url).pathname);
    if (read === "whole body") await request.arrayBuffer();
    throw new TypeError("fetch failed: other side closed");
  }) as typeof fetch;
  return { fetch: fetchFn, uploads };
}

describe("an upload whose answer is lost", () => {
  it("sealed, streamed: mayHaveArrived once the whole body was taken, not before", async () => {
    const file = new Blob([new Uint8Array(100_000).fill(7)]);
    for (const [read, mayHaveArrived] of [
      ["whole body", true],
      ["nothing", false],
    ] as const) {
      const worker = losingWorker(read);
      const error = await createClient("http://worker.test", { fetch: worker.fetch })
        .uploadSealed(file, undefined, { transport: "stream" })
        .catch((e: unknown) => e);
      expect(error, read).toBeInstanceOf(EdgeClientError);
      expect(error, read).toMatchObject({ status: 0, code: "NETWORK", mayHaveArrived });
      expect(worker.uploads).toEqual(["/api/sealed-files"]);
    }
  });

  it("plain or a blob through fetch (which does not say what it sent): mayHaveArrived", async () => {
    const worker = losingWorker("nothing");
    const client = createClient("http://worker.test", { fetch: worker.fetch });
    await expect(client.upload(new Blob(["x"]))).rejects.toMatchObject({
      code: "NETWORK",
      mayHaveArrived: true,
    });
    await expect(
      client.uploadSealed(new Blob(["x"]), undefined, { transport: "blob" }),
    ).rejects.toMatchObject({ code: "NETWORK", mayHaveArrived: true });
  });

  describe("through XMLHttpRequest", () => {
    const original = (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest;
    afterEach(() => {
      (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = original;
    });

    /** An `XMLHttpRequest` whose connection drops, after its body was sent or before. */
    function droppingXhr(bodySent: boolean) {
      return class implements XhrLike {
        withCredentials = false;
        status = 0;
        responseText = "";
        upload: XhrLike["upload"] = { onprogress: null, onload: null };
        onload: (() => void) | null = null;
        onerror: (() => void) | null = null;
        onabort: (() => void) | null = null;
        open() {}
        setRequestHeader() {}
        abort() {}
        getResponseHeader() {
          return null;
        }
        send() {
          queueMicrotask(() => {
            if (bodySent) this.upload.onload?.();
            this.onerror?.();
          });
        }
      };
    }

    it("mayHaveArrived when the upload's load event came before the error, else not", async () => {
      for (const bodySent of [true, false]) {
        (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = droppingXhr(bodySent);
        const error = await createClient("http://worker.test")
          .upload(new Blob(["x"]))
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(EdgeClientError);
        expect(error).toMatchObject({ status: 0, code: "NETWORK", mayHaveArrived: bodySent });
      }
    });
  });
});
