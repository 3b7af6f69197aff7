/**
 * The upload modes the bench measures, one entry each in {@link MODES}: what the client sends the
 * Worker for one file, and the same file written to the emulator by sdk-core directly (the
 * baseline). Everything here is prepared before the clock starts (sealed bodies are sealed on the
 * users' devices); the returned tasks are what is timed. Adding a mode is one more entry: the bench
 * starts one Worker (and registers one contract) per write API the modes name.
 */
import { seal } from "@digime-edge/sdk-core";
import { rawUploadHeaders } from "../src/lib/raw-upload.ts";
import { SEALED_HEADERS } from "../src/lib/sealed-envelope.ts";
import type { DirectClient, WorkerSession } from "./clients.ts";

/** One upload's request to the Worker. */
export interface WorkerUpload {
  body: Uint8Array<ArrayBuffer>;
  headers: Record<string, string>;
}

/** digi.me's write APIs (`DIGIME_WRITE_API`): a Worker and a contract serve one. */
export type WriteApi = "postbox" | "import";

/** An upload mode. */
export interface Mode {
  name: string;
  /** The write API of the Worker and the contract this mode runs against. */
  writeApi: WriteApi;
  /** The Worker's route. */
  route: string;
  /** What the Worker does, for the tables. */
  what: string;
  /** Whether its JavaScript CPU is held to the growth target (flat with the file's size). */
  flat?: boolean;
  /** The request that uploads `file` through the Worker. */
  toWorker(file: Uint8Array<ArrayBuffer>, session: WorkerSession): Promise<WorkerUpload>;
  /** One write of `file` straight to the emulator with sdk-core (prepared here, run by the task). */
  direct(file: Uint8Array<ArrayBuffer>, client: DirectClient): Promise<() => Promise<void>>;
}

const descriptorFor = (accountId: string) => ({
  mimeType: "application/octet-stream",
  accounts: [{ accountId }],
});

async function bytesOf(
  body: ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  return body instanceof Uint8Array ? body : new Uint8Array(await new Response(body).arrayBuffer());
}

/** `file` as the typed client's `upload` sends it to a postbox contract: one `file` part of a form. */
async function multipartUpload(file: Uint8Array<ArrayBuffer>): Promise<WorkerUpload> {
  const form = new FormData();
  form.append("file", new Blob([file]), "bench.bin");
  const request = new Request("http://127.0.0.1/", { method: "POST", body: form });
  return {
    body: new Uint8Array(await request.arrayBuffer()),
    headers: { "Content-Type": request.headers.get("Content-Type") as string },
  };
}

/** `file` as the typed client's `upload` sends it to an import contract: the raw body. */
async function rawUpload(file: Uint8Array<ArrayBuffer>): Promise<WorkerUpload> {
  return { body: file, headers: rawUploadHeaders(undefined, "bench.bin", undefined) };
}

/** The direct baseline of both import forms: sdk-core's `pushData` of the same file. */
async function directPush(file: Uint8Array<ArrayBuffer>, client: DirectClient) {
  return async () => {
    const result = await client.sdk.pushData({
      type: "library",
      contractDetails: client.contractDetails,
      userAccessToken: client.token,
      data: { fileData: file, fileName: "bench.bin", fileDescriptor: descriptorFor("bench") },
    });
    client.token = result.userAccessToken;
  };
}

/** The modes, in table order. */
export const MODES: Mode[] = [
  {
    name: "plain",
    writeApi: "postbox",
    route: "/api/files",
    what: "the Worker encrypts (multipart in)",
    toWorker: multipartUpload,
    async direct(file, client) {
      return async () => {
        const result = await client.sdk.write({
          contractDetails: client.contractDetails,
          userAccessToken: client.token,
          postboxId: client.postboxId,
          publicKey: client.publicKey,
          data: { fileData: file, fileName: "bench.bin", fileDescriptor: descriptorFor("bench") },
        });
        client.token = result.userAccessToken;
      };
    },
  },
  {
    name: "sealed",
    writeApi: "postbox",
    route: "/api/sealed-files",
    what: "sealed by the client; the Worker signs and forwards",
    flat: true,
    async toWorker(file, session) {
      const sealed = await seal({
        publicKey: session.publicKey,
        fileData: file,
        fileDescriptor: descriptorFor(session.accountId),
      });
      return {
        body: await bytesOf(sealed.body),
        headers: {
          "Content-Type": "application/octet-stream",
          [SEALED_HEADERS.iv]: sealed.iv,
          [SEALED_HEADERS.symmetricalKey]: sealed.symmetricalKey,
          [SEALED_HEADERS.metadata]: sealed.metadata,
          [SEALED_HEADERS.fileName]: "bench.bin",
        },
      };
    },
    async direct(file, client) {
      const sealed = await seal({
        publicKey: client.publicKey,
        fileData: file,
        fileDescriptor: descriptorFor("bench"),
      });
      const body = await bytesOf(sealed.body);
      return async () => {
        const result = await client.sdk.sendSealed({
          contractDetails: client.contractDetails,
          userAccessToken: client.token,
          postboxId: client.postboxId,
          sealed: { ...sealed, body, size: body.length },
          fileName: "bench.bin",
        });
        client.token = result.userAccessToken;
      };
    },
  },
  {
    name: "import",
    writeApi: "import",
    route: "/api/files",
    what: "pushData: the Worker signs and pipes the raw body (the file) as it is",
    flat: true,
    toWorker: rawUpload,
    direct: directPush,
  },
  {
    name: "import-mp",
    writeApi: "import",
    route: "/api/files",
    what: "pushData from a multipart form (the file part searched for its boundary)",
    toWorker: multipartUpload,
    direct: directPush,
  },
];

/**
 * What sdk-core's direct writes stream their bytes in: the `SLICE` of its `internal/chunks.ts`,
 * which neither of its entries exports, so it is restated here.
 */
const SLICE = 64 * 1024;

/** `bytes` as a stream of {@link SLICE} pieces, as sdk-core sends a file's bytes. */
function slicedStream(bytes: Uint8Array<ArrayBuffer>): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + SLICE));
      offset += SLICE;
    },
  });
}

/**
 * Sends `upload` to the Worker's `route` as the signed-in user; anything but 200 is an error. The
 * body goes as sdk-core's direct writes send theirs (a stream of 64 KiB pieces with its
 * `Content-Length`): Miniflare's `dispatchFetch` costs this process about twice the CPU for a
 * body of bytes (4 MiB: 27 against 11 ms, measured), which would count against the Worker.
 */
export async function sendToWorker(
  session: WorkerSession,
  route: string,
  upload: WorkerUpload,
): Promise<void> {
  const init: RequestInit & { duplex: "half" } = {
    method: "POST",
    body: slicedStream(upload.body),
    duplex: "half",
    headers: {
      cookie: session.cookie,
      origin: session.origin,
      "Content-Length": String(upload.body.length),
      ...upload.headers,
    },
  };
  const response = await session.host.fetch(`${session.origin}${route}`, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${route}: ${response.status} ${text.slice(0, 200)}`);
}
