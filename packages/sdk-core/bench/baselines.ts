/**
 * The baselines: the same requests as sdk-core's, built by hand with node:crypto and sent with
 * node:http or fetch (the write, the official SDK's Node-stream write rebuilt, the import). The
 * WebCrypto floors built on them are in `floors.ts`.
 */
import {
  constants,
  createCipheriv,
  createPrivateKey,
  createPublicKey,
  publicEncrypt,
  randomBytes,
  sign,
} from "node:crypto";
import { Agent, type IncomingMessage, request } from "node:http";
import { pipeline } from "node:stream/promises";
import {
  ACCESS_TOKEN,
  CLIENT_ID,
  check,
  FILE_DESCRIPTOR,
  KEYS,
  MiB,
  patternChunks,
  patternReadable,
} from "./lib.ts";

/** PS512's PSS parameters for node:crypto. */
export const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 };
const JWT_HEADER = Buffer.from('{"alg":"PS512","typ":"JWT"}').toString("base64url");
/** The bench's contract private key (signs the JWTs) as a node:crypto key. */
export const contractKeyObject = createPrivateKey(KEYS.contractPrivate);
/** The bench's postbox public key (wraps the AES key) as a node:crypto key. */
export const postboxKeyObject = createPublicKey(KEYS.postboxPublic);

/** A JWT nonce as the SDK makes it: 32 characters of [A-Za-z0-9], unbiased, from node:crypto. */
export function nodeNonce(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let out = "";
  while (out.length < 32) {
    for (const byte of randomBytes(40)) if (byte < 248 && out.length < 32) out += alphabet[byte % 62];
  }
  return out;
}

/** The text a JWT's signature covers: the PS512 header and `payload`, base64url, with their dot. */
export function signingInput(payload: Record<string, unknown>): string {
  return `${JWT_HEADER}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
}

/** A PS512 JWT of `payload`, signed with node:crypto by the contract key. */
export function nodeJwt(payload: Record<string, unknown>): string {
  const input = signingInput(payload);
  return `${input}.${sign("sha512", Buffer.from(input), { key: contractKeyObject, ...PSS }).toString("base64url")}`;
}

/** The JWT claims of a write around its envelope (`iv` in hex, the others base64). */
export function writeClaims(iv: string, metadata: string, symmetricalKey: string) {
  return {
    access_token: ACCESS_TOKEN,
    client_id: CLIENT_ID,
    iv,
    metadata,
    nonce: nodeNonce(),
    symmetrical_key: symmetricalKey,
    timestamp: Date.now(),
  };
}

/** A write's multipart framing (the file part's head and the closing tail) and its headers. */
export function writeFraming(jwt: string) {
  const boundary = `----node-bench-${randomBytes(12).toString("hex")}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.bin"\r\n` +
      "Content-Type: application/octet-stream\r\n\r\n",
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const headers = {
    Accept: "application/json",
    Authorization: `Bearer ${jwt}`,
    "Content-Type": `multipart/form-data; boundary=${boundary}`,
  };
  return { head, tail, headers };
}

/** The write request built with node:crypto only: envelope, JWT, and a streamed multipart body. */
export function nodeWriteRequest(size: number) {
  const key = randomBytes(32);
  const iv = randomBytes(16);
  const meta = createCipheriv("aes-256-cbc", key, iv);
  const metadata = Buffer.concat([meta.update(JSON.stringify(FILE_DESCRIPTOR)), meta.final()]).toString(
    "base64",
  );
  const symmetricalKey = publicEncrypt(
    { key: postboxKeyObject, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" },
    key,
  ).toString("base64");
  const jwt = nodeJwt(writeClaims(iv.toString("hex"), metadata, symmetricalKey));
  const { head, tail, headers } = writeFraming(jwt);
  async function* body(): AsyncGenerator<Uint8Array> {
    yield head;
    const cipher = createCipheriv("aes-256-cbc", key, iv);
    for await (const chunk of patternChunks(size)) {
      const out = cipher.update(chunk);
      if (out.length > 0) yield out;
    }
    yield cipher.final();
    yield tail;
  }
  return { headers, body, key, iv, head, tail };
}

/** The keep-alive agent of every node:http request of the bench (index.ts closes it). */
export const agent = new Agent({ keepAlive: true });

/** The status and text of an answer, once all of it has come. */
export function answerOf(res: IncomingMessage) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    let text = "";
    res.setEncoding("utf8");
    res.on("data", (d) => {
      text += d;
    });
    res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    res.on("error", reject);
  });
}

/** POSTs `body` with node:http (streamed, chunked), keeping the connection; returns the status and text. */
export function httpPost(
  url: string,
  headers: Record<string, string>,
  body: () => AsyncIterable<Uint8Array>,
) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(url, { method: "POST", headers, agent }, (res) => {
      answerOf(res).then(resolve, reject);
    });
    req.on("error", reject);
    (async () => {
      for await (const chunk of body()) {
        if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
      }
      req.end();
    })().catch(reject);
  });
}

/** The node:crypto write sent streamed with node:http; checks that the sink answered `delivered`. */
export async function nodeWriteHttp(url: string, size: number) {
  const { headers, body } = nodeWriteRequest(size);
  const { status, text } = await httpPost(url, headers, body);
  check(status === 200 && JSON.parse(text).status === "delivered", `node:http write answered ${status}`);
}

/**
 * The official SDK's Node-stream write, rebuilt: the file (a Node `Readable`) piped through
 * `createCipheriv` into a multipart body (form-data's head, the cipher's output, its tail) piped
 * into a streamed (chunked) node:http request, as form-data + got do.
 */
export async function officialStyleWrite(url: string, size: number) {
  const { headers, key, iv, head, tail } = nodeWriteRequest(size);
  const req = request(url, { method: "POST", headers, agent });
  const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.once("response", (res) => {
      answerOf(res).then(resolve, reject);
    });
    req.once("error", reject);
  });
  await pipeline(
    patternReadable(size),
    createCipheriv("aes-256-cbc", key, iv),
    async function* multipart(file: AsyncIterable<Buffer>) {
      yield head;
      yield* file;
      yield tail;
    },
    req,
  );
  const { status, text } = await answered;
  check(status === 200 && JSON.parse(text).status === "delivered", `official-style write answered ${status}`);
}

/** The headers of an import (pushData library) hand-built with node:crypto: both JWTs. */
function nodePushHeaders(): Record<string, string> {
  const claims = {
    access_token: ACCESS_TOKEN,
    client_id: CLIENT_ID,
    nonce: nodeNonce(),
    timestamp: Date.now(),
  };
  return {
    Authorization: `Bearer ${nodeJwt(claims)}`,
    FileDescriptor: nodeJwt({ metadata: FILE_DESCRIPTOR }),
    "Content-Type": "application/octet-stream",
  };
}

/** An import hand-built with node:crypto, its `body` sent raw (chunked) with node:http. */
export async function nodePushHttp(url: string, body: () => AsyncIterable<Uint8Array>) {
  const { status } = await httpPost(url, nodePushHeaders(), body);
  check(status === 201, `node:http import answered ${status}`);
}

/** The same import sent with fetch alone (streamed, `redirect: "error"` as the SDK does on Node). */
export async function nodePushFetch(url: string, body: ReadableStream<Uint8Array>) {
  const init = { method: "POST", headers: nodePushHeaders(), body, duplex: "half", redirect: "error" };
  const response = await fetch(url, init as RequestInit);
  await response.arrayBuffer();
  check(response.status === 201, `fetch import answered ${response.status}`);
}

/** All of `chunks` in one buffer. */
export async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

/** An async iterable as a web stream, pulled one chunk at a time. */
export function streamOf(chunks: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
    },
    { highWaterMark: 0 },
  );
}

/** POSTs a write with fetch and checks that the sink answered `delivered`. */
export async function fetchWrite(url: string, headers: Record<string, string>, body: unknown, what: string) {
  const init = { method: "POST", headers, body, duplex: "half", redirect: "error" };
  const response = await fetch(url, init as RequestInit);
  const json = (await response.json()) as { status?: string };
  check(response.status === 200 && json.status === "delivered", `${what} answered ${response.status}`);
}

/** The node:crypto write sent with fetch; checks that the sink answered `delivered`. */
export async function nodeWriteFetch(url: string, size: number) {
  const { headers, body } = nodeWriteRequest(size);
  // A small file goes as one buffer (with its length), a large one as a stream.
  const payload = size <= MiB ? await collect(body()) : streamOf(body());
  await fetchWrite(url, headers, payload, "fetch write");
}
