/**
 * Runs in Node before the workerd tests: generates a contract key pair, starts the emulator on
 * 127.0.0.1 with that contract, and puts a small switchable proxy in front of it, so that tests can
 * make digi.me "go down" (every connection is cut) and come back. Everything started here is
 * stopped by the returned teardown.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { startEmulator } from "@digime-edge/emulator";
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

/** A pass-through proxy to `target` that can cut every connection while "down". */
async function startSwitchableProxy(target: URL) {
  let down = false;
  const sockets = new Set<Socket>();
  const proxy = createServer((req, res) => {
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  proxy.on("connection", (socket) => {
    if (down) return socket.destroy();
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const port = await listen(proxy);

  const control = createServer((req, res) => {
    const mode = new URL(req.url ?? "/", "http://x").pathname.slice(1);
    if (mode === "down" || mode === "up") {
      down = mode === "down";
      if (down) for (const socket of sockets) socket.destroy();
      res.writeHead(204).end();
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

export default async function setup(project: TestProject) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const contract = {
    applicationId: "edge-test-app",
    contractId: "edge-test-contract",
    publicKey: publicKey.export({ type: "pkcs1", format: "pem" }).toString(),
    redirectUri: `${WORKER_ORIGIN}/auth/callback`,
    write: true,
  };
  const emulator = await startEmulator({
    port: 0,
    host: "127.0.0.1",
    memory: true,
    autoApprove: true,
    contracts: [contract],
  });
  const proxy = await startSwitchableProxy(new URL(emulator.url));

  project.provide("emulatorUrl", emulator.url);
  project.provide("digimeUrl", proxy.url);
  project.provide("proxyControlUrl", proxy.controlUrl);
  project.provide("applicationId", contract.applicationId);
  project.provide("contractId", contract.contractId);
  project.provide("privateKey", privateKey.export({ type: "pkcs1", format: "pem" }).toString());
  project.provide("sessionSecret", randomBytes(32).toString("base64url"));

  return async () => {
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
    /** `POST {proxyControlUrl}/down` cuts digi.me off, `/up` brings it back. */
    proxyControlUrl: string;
    applicationId: string;
    contractId: string;
    privateKey: string;
    sessionSecret: string;
  }
}
