/**
 * The typed client's uploads whose answer is lost, in Node against stand-ins for the Worker: the
 * `NETWORK` error says whether the file may have arrived (`mayHaveArrived`: the whole body was
 * sent, or `fetch` cannot tell) or cannot have (the body was not sent whole). With an import
 * contract the file goes as the raw body (`POST /api/files`, the descriptor in a header).
 */
import { generateKeyPairSync } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createClient, EdgeClientError } from "../../src/client.ts";
import type { XhrLike } from "../../src/client-transport.ts";

const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PUBLIC_PEM = publicKey.export({ type: "pkcs1", format: "pem" }).toString();
const SESSION = {
  authenticated: true,
  canWrite: true,
  writeApi: "postbox",
  accountId: "node-user",
  publicKey: PUBLIC_PEM,
};

/** A `fetch` that serves the session, and loses the answer to every upload (after `read`). */
function losingWorker(read: "whole body" | "nothing", writeApi = "postbox") {
  const uploads: string[] = [];
  const types: string[] = [];
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (new URL(request.url).pathname === "/api/session") {
      uploads.push("session");
      return Response.json({ ...SESSION, writeApi });
    }
    uploads.push(new URL(request.url).pathname);
    types.push(request.headers.get("Content-Type")?.split(";")[0] ?? "");
    if (read === "whole body") await request.arrayBuffer();
    throw new TypeError("fetch failed: other side closed");
  }) as typeof fetch;
  return { fetch: fetchFn, uploads, types };
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
      expect(worker.uploads).toEqual(["session", "/api/sealed-files"]);
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

  it("an import contract's file goes raw, asked once per client: mayHaveArrived", async () => {
    const worker = losingWorker("nothing", "import");
    const client = createClient("http://worker.test", { fetch: worker.fetch });
    for (let i = 0; i < 2; i++) {
      await expect(client.upload(new Blob(["x"]))).rejects.toMatchObject({
        code: "NETWORK",
        mayHaveArrived: true,
      });
    }
    expect(worker.types).toEqual(["application/octet-stream", "application/octet-stream"]);
    expect(worker.uploads).toEqual(["session", "/api/files", "/api/files"]);
    const postbox = losingWorker("nothing");
    await createClient("http://worker.test", { fetch: postbox.fetch })
      .upload(new Blob(["x"]))
      .catch(() => {});
    expect(postbox.types).toEqual(["multipart/form-data"]);
  });

  describe("through XMLHttpRequest", () => {
    const original = (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest;
    const originalFetch = globalThis.fetch;
    afterEach(() => {
      (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = original;
      globalThis.fetch = originalFetch;
    });
    /** The session the client asks for (with the global `fetch`, as in a browser): no network. */
    const serveSession = (writeApi: string) => {
      globalThis.fetch = (async () => Response.json({ ...SESSION, writeApi })) as unknown as typeof fetch;
    };

    /** An `XMLHttpRequest` whose connection drops, after its body was sent or before (kept in `sent`). */
    function droppingXhr(bodySent: boolean, sent: { headers: Record<string, string>; body: unknown }[] = []) {
      return class implements XhrLike {
        withCredentials = false;
        status = 0;
        responseText = "";
        upload: XhrLike["upload"] = { onprogress: null, onload: null };
        onload: (() => void) | null = null;
        onerror: (() => void) | null = null;
        onabort: (() => void) | null = null;
        headers: Record<string, string> = {};
        open() {}
        setRequestHeader(name: string, value: string) {
          this.headers[name] = value;
        }
        abort() {}
        getResponseHeader() {
          return null;
        }
        send(body: unknown) {
          sent.push({ headers: this.headers, body });
          queueMicrotask(() => {
            if (bodySent) this.upload.onload?.();
            this.onerror?.();
          });
        }
      };
    }

    it("mayHaveArrived when the upload's load event came before the error, else not", async () => {
      serveSession("postbox");
      for (const bodySent of [true, false]) {
        (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = droppingXhr(bodySent);
        const error = await createClient("http://worker.test")
          .upload(new Blob(["x"]))
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(EdgeClientError);
        expect(error).toMatchObject({ status: 0, code: "NETWORK", mayHaveArrived: bodySent });
      }
    });

    it("an import contract's file is the XHR body itself, typed, its descriptor and name in headers", async () => {
      serveSession("import");
      const sent: { headers: Record<string, string>; body: unknown }[] = [];
      (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = droppingXhr(true, sent);
      const file = new File(["x"], "a b.txt", { type: "text/plain" });
      const error = await createClient("http://worker.test")
        .upload(file, { tags: ["t"] })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "NETWORK", mayHaveArrived: true });
      expect(sent).toHaveLength(1);
      expect(sent[0]?.body).toBe(file);
      expect(sent[0]?.headers).toEqual({
        "Content-Type": "application/octet-stream",
        "X-Digime-File-Name": "a%20b.txt",
        "X-Digime-File-Descriptor": encodeURIComponent('{"tags":["t"],"mimeType":"text/plain"}'),
      });
    });
  });
});
