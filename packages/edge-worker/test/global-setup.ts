/**
 * Runs in Node before the workerd tests: generates a contract key pair, starts the emulator on
 * 127.0.0.1 with that contract, and puts a small switchable proxy in front of it, so that tests can
 * make digi.me "go down" (every connection is cut) and come back. It also starts a "sealer": sdk-core
 * running in Node, which seals what the workerd tests send it, so that they can upload a file sealed
 * in Node. Everything started here is stopped by the returned teardown.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, request, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { startEmulator } from "@digime-edge/emulator";
import { seal } from "@digime-edge/sdk-core";
import type { TestProject } from "vitest/node";

/** The Worker's origin in tests (https, so that Secure cookies and HSTS are exercised). */
export const WORKER_ORIGIN = "https://edge.test";

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** The digi.me route a proxied request is for, as the proxy's script names it. */
function routeOf(path: string): ProxyStep["route"] | undefined {
  if (path.includes("/permission-access/postbox/")) return "postbox";
  if (path.includes("/permission-access/import/h:")) return "fhir";
  if (path.includes("/permission-access/import")) return "import";
  if (path.includes("/oauth/token")) return "token";
  return undefined;
}

/**
 * One scripted step of the proxy, for the next request to `route`: `expire` expires access tokens
 * at the emulator (`filter` as `/admin/expire-tokens` takes it) just before the request goes on;
 * `lose-answer` lets the emulator respond in full, then cuts the connection instead of passing the
 * answer on (the write or refresh happened, the caller never hears of it); `pass` does nothing.
 */
export interface ProxyStep {
  route: "postbox" | "token" | "import" | "fhir";
  action: "expire" | "lose-answer" | "pass";
  filter?: Record<string, string>;
}

/**
 * A pass-through proxy to `target` that can cut every connection while "down", and play a script
 * of {@link ProxyStep}s on the requests that pass (see `control` below).
 */
async function startSwitchableProxy(target: URL) {
  let down = false;
  const sockets = new Set<Socket>();
  const script: ProxyStep[] = [];
  const applied: ProxyStep[] = [];
  const proxy = createServer((req, res) => {
    const route = routeOf(req.url ?? "");
    const at = route === undefined ? -1 : script.findIndex((step) => step.route === route);
    const step = at >= 0 ? script.splice(at, 1)[0] : undefined;
    if (step) applied.push(step);
    const forward = () => {
      const upstream = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          if (step?.action === "lose-answer") {
            // The emulator has done the work and responded: read it all, then drop the caller.
            answer.resume();
            answer.on("end", () => req.socket.destroy());
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
    };
    if (step?.action === "expire") {
      fetch(new URL("/admin/expire-tokens", target), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(step.filter ?? {}),
      })
        .then((r) => r.arrayBuffer())
        .then(forward, () => res.destroy());
    } else forward();
  });
  proxy.on("connection", (socket) => {
    if (down) return socket.destroy();
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const port = await listen(proxy);

  // `POST /down`, `POST /up`; `POST /script` appends steps (a JSON array of ProxyStep), `DELETE
  // /script` clears them, `GET /script` returns `{ pending, applied }` (steps left, steps played).
  const control = createServer((req, res) => {
    const mode = new URL(req.url ?? "/", "http://x").pathname.slice(1);
    if (mode === "down" || mode === "up") {
      down = mode === "down";
      if (down) for (const socket of sockets) socket.destroy();
      res.writeHead(204).end();
    } else if (mode === "script") {
      readAll(req)
        .then((body) => {
          if (req.method === "POST") script.push(...(JSON.parse(body.toString() || "[]") as ProxyStep[]));
          else if (req.method === "DELETE") {
            script.length = 0;
            applied.length = 0;
          }
          res.writeHead(200, { "Content-Type": "application/json" });
          res.end(JSON.stringify({ pending: script, applied }));
        })
        .catch(() => res.writeHead(400).end());
    } else res.writeHead(404).end();
  });
  const controlPort = await listen(control);
  return {
    url: `http://127.0.0.1:${port}`,
    controlUrl: `http://127.0.0.1:${controlPort}`,
    async close() {
      await Promise.all([close(proxy), close(control)]);
    },
  };
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * sdk-core's `seal` in Node, over HTTP: `POST /seal?publicKey=<PEM>&descriptor=<JSON>` with the file
 * as the body returns the sealed body (sealed from a `Blob`, so as a stream of known size) with the
 * envelope in the `X-Digime-*` headers of a sealed upload.
 */
async function startSealer() {
  const server = createServer((req, res) => {
    (async () => {
      const url = new URL(req.url ?? "/", "http://x");
      const file = await readAll(req);
      const sealed = await seal({
        publicKey: url.searchParams.get("publicKey") ?? "",
        fileDescriptor: JSON.parse(url.searchParams.get("descriptor") ?? "null"),
        fileData: new Blob([file]),
      });
      if (!(sealed.body instanceof ReadableStream) || sealed.size === undefined) {
        throw new Error("sealing a Blob should give a stream of known size");
      }
      res.writeHead(200, {
        "Content-Type": "application/octet-stream",
        "Content-Length": String(sealed.size),
        "X-Digime-Iv": sealed.iv,
        "X-Digime-Symmetrical-Key": sealed.symmetricalKey,
        "X-Digime-Metadata": sealed.metadata,
      });
      for await (const chunk of sealed.body) res.write(chunk);
      res.end();
    })().catch((error: unknown) => {
      res.writeHead(500).end(error instanceof Error ? error.message : "seal failed");
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, close: () => close(server) };
}

export default async function setup(project: TestProject) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const contract = {
    applicationId: "edge-test-app",
    contractId: "edge-test-contract",
    publicKey: publicKey.export({ type: "pkcs1", format: "pem" }).toString(),
    redirectUri: `${WORKER_ORIGIN}/auth/callback`,
    write: true,
  };
  // The same application with an import contract (DIGIME_WRITE_API=import: the workerd-import project).
  const importContract = {
    ...contract,
    contractId: "edge-test-import-contract",
    writeApi: "import" as const,
  };
  const emulator = await startEmulator({
    port: 0,
    host: "127.0.0.1",
    memory: true,
    autoApprove: true,
    contracts: [contract, importContract],
  });
  const proxy = await startSwitchableProxy(new URL(emulator.url));
  const sealer = await startSealer();

  project.provide("emulatorUrl", emulator.url);
  project.provide("digimeUrl", proxy.url);
  project.provide("proxyControlUrl", proxy.controlUrl);
  project.provide("sealerUrl", sealer.url);
  project.provide("applicationId", contract.applicationId);
  project.provide("contractId", contract.contractId);
  project.provide("importContractId", importContract.contractId);
  project.provide("privateKey", privateKey.export({ type: "pkcs1", format: "pem" }).toString());
  project.provide("sessionSecret", randomBytes(32).toString("base64url"));

  return async () => {
    await sealer.close();
    await proxy.close();
    await emulator.close();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    /** The emulator itself (admin and library API). */
    emulatorUrl: string;
    /** The emulator behind the switchable proxy: what the Worker talks to. */
    digimeUrl: string;
    /**
     * `POST {proxyControlUrl}/down` cuts digi.me off, `/up` brings it back; `/script` plays
     * {@link ProxyStep}s on the next requests (see `startSwitchableProxy`).
     */
    proxyControlUrl: string;
    /** `POST {sealerUrl}/seal?publicKey&descriptor`: sdk-core's `seal` in Node (see `startSealer`). */
    sealerUrl: string;
    applicationId: string;
    contractId: string;
    /** The import contract of the same application (`writeApi: "import"`). */
    importContractId: string;
    privateKey: string;
    sessionSecret: string;
  }
}
