/**
 * The bench's stand-in for digi.me's postbox, run as its own process (so that it does not share
 * the client's event loop): node:http on 127.0.0.1 and node:crypto only.
 *
 *   POST /v1.7/permission-access/postbox/drain   reads the multipart body and checks its framing
 *                                                 (boundary, one `file` part, sizes) as it flows.
 *   POST /v1.7/permission-access/postbox/verify  also verifies the JWT (PS512, salt 64) and its
 *                                                 claims, unwraps the key (RSA-OAEP SHA-1), decrypts
 *                                                 the metadata and the file (AES-256-CBC) as they flow
 *                                                 and compares the plaintext with the bench pattern.
 *   POST /v1.7/permission-access/import          reads an import's raw body (pushData).
 *   POST /verify/v1.7/permission-access/import   also verifies the request JWT and the FileDescriptor
 *                                                 JWT (PS512, salt 64; payload exactly { metadata })
 *                                                 and compares the body with the bench pattern.
 *   GET  /__bench/last                           what the last write or import request showed.
 *
 * Every write gets `{ status: "delivered", expires }`, every import `201` without a body. Started by `fork`; it tells the
 * parent its port over IPC and exits when the parent goes away.
 */
import {
  constants,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  type Decipheriv,
  privateDecrypt,
  verify,
} from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ACCESS_TOKEN, CLIENT_ID, FILE_DESCRIPTOR, KEYS, matchesPattern } from "./lib.ts";

const contractPublic = createPublicKey(KEYS.contractPublic);
const postboxPrivate = createPrivateKey(KEYS.postboxPrivate);

export interface SinkReport {
  /** Sequence number of the request (1 for the first). */
  seq: number;
  mode: "drain" | "verify";
  /** Request body bytes. */
  bodyBytes: number;
  /** Bytes of the `file` part (the ciphertext). */
  fileBytes: number;
  /** Decrypted bytes that matched the pattern (verify only). */
  plainBytes?: number;
  /** The decrypted file descriptor (verify only). */
  metadata?: unknown;
  chunked: boolean;
  errors: string[];
}

let seq = 0;
let last: SinkReport | undefined;

function b64url(s: string): Buffer {
  return Buffer.from(s, "base64url");
}

/** The report of a new request, counted in `seq`. */
function newReport(req: IncomingMessage, mode: "drain" | "verify"): SinkReport {
  return {
    seq: ++seq,
    mode,
    bodyBytes: 0,
    fileBytes: 0,
    chunked: req.headers["transfer-encoding"] === "chunked",
    errors: [],
  };
}

/** Whether `token` is a JWT signed PS512 (salt 64) by the contract key; returns its header and claims. */
function verified(token: string, errors: string[], what: string) {
  const parts = token.split(".");
  if (parts.length !== 3) {
    errors.push(`${what} is not a JWT`);
    return undefined;
  }
  const [h, p, s] = parts as [string, string, string];
  const header = JSON.parse(b64url(h).toString("utf8"));
  if (header.alg !== "PS512" || header.typ !== "JWT") errors.push(`${what} header ${JSON.stringify(header)}`);
  const valid = verify(
    "sha512",
    Buffer.from(`${h}.${p}`),
    { key: contractPublic, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 },
    b64url(s),
  );
  if (!valid) errors.push(`${what} signature does not verify (PS512, salt 64)`);
  return { claims: JSON.parse(b64url(p).toString("utf8")), payload: b64url(p).toString("utf8") };
}

/** An import: the request JWT, the FileDescriptor JWT and (verify) the raw body against the pattern. */
async function importFile(req: IncomingMessage, res: ServerResponse, mode: "drain" | "verify") {
  const report = newReport(req, mode);
  const { errors } = report;
  if (mode === "verify") {
    const auth = req.headers.authorization ?? "";
    const claims = verified(auth.startsWith("Bearer ") ? auth.slice(7) : "", errors, "Authorization")?.claims;
    if (Object.keys(claims ?? {}).join() !== "access_token,client_id,nonce,timestamp")
      errors.push("request JWT claims");
    if (claims?.access_token !== ACCESS_TOKEN || claims?.client_id !== CLIENT_ID) errors.push("claim values");
    const descriptor = verified(String(req.headers.filedescriptor ?? ""), errors, "FileDescriptor");
    if (descriptor?.payload !== JSON.stringify({ metadata: FILE_DESCRIPTOR }))
      errors.push("FileDescriptor payload is not { metadata }");
    report.metadata = descriptor?.claims.metadata;
    if (req.headers["content-type"] !== "application/octet-stream") errors.push("content-type");
  }
  let ok = true;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (mode === "verify" && ok && !matchesPattern(chunk, report.bodyBytes)) {
      ok = false;
      errors.push(`body differs from the pattern near byte ${report.bodyBytes}`);
    }
    report.bodyBytes += chunk.length;
  }
  report.fileBytes = report.bodyBytes;
  if (mode === "verify") report.plainBytes = report.bodyBytes;
  last = report;
  res.writeHead(201).end();
}

/** Checks the request JWT; returns the AES key and iv, or pushes errors. */
function checkJwt(authorization: string | undefined, errors: string[]) {
  const token = authorization?.startsWith("Bearer ") ? authorization.slice(7) : "";
  const claims = verified(token, errors, "Authorization")?.claims;
  if (claims === undefined) return undefined;
  if (claims.access_token !== ACCESS_TOKEN) errors.push("claim access_token");
  if (claims.client_id !== CLIENT_ID) errors.push("claim client_id");
  if (!/^[A-Za-z0-9]{32}$/.test(claims.nonce)) errors.push("claim nonce");
  if (typeof claims.timestamp !== "number") errors.push("claim timestamp");
  if (!/^[0-9a-f]{32}$/.test(claims.iv)) errors.push("claim iv");
  let key: Buffer;
  try {
    key = privateDecrypt(
      { key: postboxPrivate, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" },
      Buffer.from(claims.symmetrical_key, "base64"),
    );
  } catch {
    errors.push("symmetrical_key does not unwrap (RSA-OAEP SHA-1)");
    return undefined;
  }
  if (key.length !== 32) errors.push("unwrapped key is not 32 bytes");
  const iv = Buffer.from(claims.iv, "hex");
  let metadata: unknown;
  try {
    const d = createDecipheriv("aes-256-cbc", key, iv);
    const json = Buffer.concat([d.update(Buffer.from(claims.metadata, "base64")), d.final()]);
    metadata = JSON.parse(json.toString("utf8"));
  } catch {
    errors.push("metadata does not decrypt to JSON");
  }
  return { key, iv, metadata };
}

async function write(req: IncomingMessage, res: ServerResponse, mode: "drain" | "verify") {
  const report = newReport(req, mode);
  const { errors } = report;
  const boundary = /boundary=([^;]+)$/.exec(req.headers["content-type"] ?? "")?.[1];
  if (!boundary) errors.push("no multipart boundary");
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);

  let decipher: Decipheriv | undefined;
  let plainBytes = 0;
  let plainOk = true;
  const plain = (chunk: Buffer) => {
    if (chunk.length === 0) return;
    if (plainOk && !matchesPattern(chunk, plainBytes)) {
      plainOk = false;
      errors.push(`plaintext differs from the pattern near byte ${plainBytes}`);
    }
    plainBytes += chunk.length;
  };
  if (mode === "verify") {
    const envelope = checkJwt(req.headers.authorization, errors);
    if (envelope) {
      report.metadata = envelope.metadata;
      decipher = createDecipheriv("aes-256-cbc", envelope.key, envelope.iv);
    }
  }
  const file = (chunk: Buffer) => {
    report.fileBytes += chunk.length;
    if (decipher) plain(decipher.update(chunk));
  };

  // The multipart body: head (up to the blank line), the file part, and the tail, held back.
  let head: Buffer | undefined = Buffer.alloc(0);
  let held = Buffer.alloc(0);
  for await (const data of req as AsyncIterable<Buffer>) {
    report.bodyBytes += data.length;
    let chunk = data;
    if (head !== undefined) {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) {
        if (head.length > 4096) {
          errors.push("no multipart head");
          head = undefined;
        }
        continue;
      }
      const text = head.subarray(0, end).toString("latin1");
      if (!text.startsWith(`--${boundary}\r\n`) || !/name="file"; filename="[^"]+"/.test(text)) {
        errors.push(`bad part head: ${JSON.stringify(text.slice(0, 200))}`);
      }
      chunk = head.subarray(end + 4);
      head = undefined;
    }
    // Everything but the last tail.length bytes seen so far belongs to the file.
    if (chunk.length >= tail.length) {
      file(held);
      file(chunk.subarray(0, chunk.length - tail.length));
      held = Buffer.from(chunk.subarray(chunk.length - tail.length));
    } else {
      const both = Buffer.concat([held, chunk]);
      const cut = Math.max(0, both.length - tail.length);
      file(both.subarray(0, cut));
      held = both.subarray(cut);
    }
  }
  if (!held.equals(tail)) errors.push("the body does not end with the closing boundary");
  if (report.fileBytes % 16 !== 0 || report.fileBytes === 0) errors.push("file part is not whole AES blocks");
  if (decipher) {
    try {
      plain(decipher.final());
    } catch {
      errors.push("file does not decrypt (bad PKCS#7 padding)");
    }
    report.plainBytes = plainBytes;
  }
  last = report;
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ status: "delivered", expires: Date.now() + 3_600_000 }));
}

const server = createServer((req, res) => {
  const url = req.url ?? "";
  const imported = /^(\/verify)?\/v1\.7\/permission-access\/import$/.exec(url);
  if (req.method === "POST" && imported) {
    importFile(req, res, imported[1] ? "verify" : "drain").catch((error) => {
      last = { seq, mode: "drain", bodyBytes: 0, fileBytes: 0, chunked: false, errors: [String(error)] };
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "BenchSink", message: "sink failed" } }));
    });
    return;
  }
  const route = /^\/v1\.7\/permission-access\/postbox\/(drain|verify)$/.exec(url);
  if (req.method === "POST" && route) {
    write(req, res, route[1] as "drain" | "verify").catch((error) => {
      last = { seq, mode: "drain", bodyBytes: 0, fileBytes: 0, chunked: false, errors: [String(error)] };
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "BenchSink", message: "sink failed" } }));
    });
    return;
  }
  if (req.method === "GET" && url === "/__bench/last") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(last ?? null));
    return;
  }
  res.writeHead(404, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: { code: "NotFound", message: "not a bench route" } }));
  req.resume();
});

server.keepAliveTimeout = 30_000;
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ port });
});
// The parent is gone (or asks us to stop): close and leave.
process.on("disconnect", () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
