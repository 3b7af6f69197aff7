// The local server every runner starts on 127.0.0.1 (random port): the real digi.me emulator
// (@digime-edge/emulator, which checks each request with node:crypto: PS512 salt 64, RSA-OAEP
// SHA-1, AES-256-CBC, and keeps the decrypted files in its library), served on one origin together
// with what only the tests need:
// - `GET /callback`: the contract's redirect URI; echoes its query as JSON, so a client that follows
//   the auto-approved onboarding redirects can read the code, postboxId and publicKey;
// - `POST /__result`: where runtimes without a terminal (workerd, the browser) post their result;
// - static files (the browser page and bundle).
// Two contracts: a postbox one (the write cases) and an import one (the `pushData` cases). Every
// request of the import API (and every `oauth/authorize`) is recorded as it came, raw body included,
// before the emulator responds to it, so that the host checks it on its own (runners/check-imports.mjs):
// the user's deletion empties the emulator's library. Error answers of the FHIR route lose their
// body on the way back: only the `X-Error-*` headers say what went wrong there, as the SDK must read.
// One origin means no CORS for the browser, and a `jku` on the API's own (trusted) origin.
import { createServer } from "node:http";
import { createEmulator } from "@digime-edge/emulator";
import { getRequestListener } from "@hono/node-server";

export const APP = { applicationId: "app-conformance", contractId: "contract-conformance" };
/** The import contract (official SDK 10 on): same application, its own contract. */
export const IMPORT_CONTRACT_ID = "contract-conformance-import";

// The requests the host records: the import API, and the sign-ins (to see their claims).
const RECORDED = /^\/v1\.7\/(permission-access\/(import|accounts)|user$|oauth\/authorize$)/;
// Hop-by-hop and length headers: the relayed Request gets its own.
const NOT_RELAYED = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive"]);

const readBytes = async (req) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks);
};

const readBody = async (req) => (await readBytes(req)).toString("utf8");

/**
 * Starts the server. `vectors` is official-v8.json: the contract is registered with its public key.
 * Returns `{ origin, target, deliveries, recorded, serve, waitForResult, close }`; `target` is what the suite
 * needs, `deliveries` what the emulator's library holds (with how each body came: chunked or not).
 */
export async function startServer({ vectors }) {
  const statics = new Map();
  const results = new Map();
  const waiters = new Map();
  const transfers = new Map(); // library file id -> "chunked" | "content-length"
  const recorded = []; // { method, path, headers, body, status, errorCode, answer }
  let emulator;
  let api;

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, "http://localhost");
      const file = req.method === "GET" && statics.get(url.pathname);
      if (file) {
        res.writeHead(200, { "content-type": file.type, "cache-control": "no-store" });
        return res.end(file.body);
      }
      if (req.method === "GET" && url.pathname === "/callback") {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(JSON.stringify(Object.fromEntries(url.searchParams)));
      }
      if (req.method === "POST" && url.pathname === "/__result") {
        const result = JSON.parse(await readBody(req));
        results.set(result.runtime, result);
        waiters.get(result.runtime)?.(result);
        res.writeHead(200, { "content-type": "application/json" });
        return res.end("{}");
      }
      if (req.method === "POST" && url.pathname.startsWith("/v1.7/permission-access/postbox/")) {
        // The suite writes one file at a time: a file that appears after this request is its file.
        const transfer = req.headers["transfer-encoding"] === "chunked" ? "chunked" : "content-length";
        res.once("finish", () => {
          for (const f of emulator.store.listFiles()) if (!transfers.has(f.id)) transfers.set(f.id, transfer);
        });
      }
      if (RECORDED.test(url.pathname)) return await relay(req, res, url);
      await api(req, res);
    } catch (err) {
      console.error("[conformance host]", err);
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "InternalServerError", message: String(err) } }));
    }
  });
  /** Reads the whole request, records it, then has the emulator respond to it. */
  async function relay(req, res, url) {
    const body = await readBytes(req);
    const seen = { method: req.method, path: url.pathname, headers: { ...req.headers }, body, status: 0 };
    recorded.push(seen);
    const headers = Object.entries(req.headers).filter(([name]) => !NOT_RELAYED.has(name));
    const response = await emulator.app.fetch(
      new Request(`${origin}${req.url}`, {
        method: req.method,
        headers,
        body: body.length > 0 && req.method !== "GET" ? body : undefined,
      }),
    );
    seen.status = response.status;
    seen.errorCode = response.headers.get("x-error-code") ?? undefined;
    const out = new Headers(response.headers);
    let answer = Buffer.from(await response.arrayBuffer());
    seen.answer = answer;
    if (!response.ok && url.pathname.includes("/fhir/")) {
      answer = Buffer.alloc(0);
      out.delete("content-type");
    }
    out.set("content-length", String(answer.length));
    res.writeHead(response.status, Object.fromEntries(out));
    res.end(answer);
  }

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;

  emulator = createEmulator({
    memory: true,
    autoApprove: true,
    contracts: [
      {
        ...APP,
        name: "sdk-core conformance",
        publicKey: vectors.keys.contract.publicPkcs1,
        redirectUri: `${origin}/callback`,
      },
      {
        applicationId: APP.applicationId,
        contractId: IMPORT_CONTRACT_ID,
        name: "sdk-core conformance (import)",
        publicKey: vectors.keys.contract.publicPkcs1,
        redirectUri: `${origin}/callback`,
        writeApi: "import",
      },
    ],
    onError: (error) => console.error("[emulator]", error),
  });
  api = getRequestListener(emulator.app.fetch);

  return {
    origin,
    /** What the suite needs to reach this server (serializable; see `Target` in src/suite.ts). */
    target: {
      baseUrl: `${origin}/v1.7/`,
      onboardUrl: `${origin}/apps/saas/`,
      redirectUri: `${origin}/callback`,
      applicationId: APP.applicationId,
      contractId: APP.contractId,
      importContractId: IMPORT_CONTRACT_ID,
      expireTokensUrl: `${origin}/admin/expire-tokens`,
    },
    /** The files in the emulator's library, decrypted there with node:crypto. */
    get deliveries() {
      return emulator.store.listFiles().map((f) => ({
        fileName: f.fileName,
        size: f.size,
        sha256: f.sha256,
        descriptor: f.metadata,
        transfer: transfers.get(f.id),
      }));
    },
    /** The requests of the import API and the sign-ins, as they came (see `relay`). */
    recorded,
    /** Serves `body` at `path` (GET). */
    serve(path, body, type) {
      statics.set(path, { body, type });
    },
    /** Resolves with the result a runtime posts to /__result. */
    waitForResult(runtime) {
      const have = results.get(runtime);
      if (have) return Promise.resolve(have);
      return new Promise((resolve) => waiters.set(runtime, resolve));
    },
    async close() {
      await new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      emulator.close();
    },
  };
}
