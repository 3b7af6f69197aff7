/**
 * A small HTTP proxy on 127.0.0.1 in front of the emulator, for the one fault the emulator cannot
 * make itself: an answer lost on the way back. With `lose-answer` the request goes through, the
 * emulator handles it (a write is stored), and the proxy reads the answer and then cuts the
 * client's connection: the client cannot know what happened. The `Host` header is passed on, so the
 * emulator's `jku` and links name the proxy's origin.
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type ProxyAction = "pass" | "lose-answer";

/** One request through the proxy. */
export interface ProxyEvent {
  method: string;
  path: string;
  action: ProxyAction;
  /** The emulator's status, when it responded. */
  upstreamStatus?: number;
  /** The emulator's answer body, for a lost answer. */
  upstreamBody?: string;
  /** Why the request did not get through, when it did not. */
  error?: string;
}

export interface LossyProxy {
  url: string;
  port: number;
  events: ProxyEvent[];
  /** Decides each request's fate; default: pass everything. */
  decide: (method: string, path: string) => ProxyAction;
  close(): Promise<void>;
}

export async function startProxy(upstreamPort: () => number): Promise<LossyProxy> {
  const proxy: LossyProxy = {
    url: "",
    port: 0,
    events: [],
    decide: () => "pass",
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    const method = req.method ?? "GET";
    const path = req.url ?? "/";
    const action = proxy.decide(method, path);
    const event: ProxyEvent = { method, path, action };
    proxy.events.push(event);
    const { connection: _c, "keep-alive": _k, ...headers } = req.headers;
    const upstream = request(
      { host: "127.0.0.1", port: upstreamPort(), method, path, headers, agent: false },
      (answer) => {
        event.upstreamStatus = answer.statusCode;
        if (action === "lose-answer") {
          const chunks: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => chunks.push(chunk));
          answer.on("end", () => {
            event.upstreamBody = Buffer.concat(chunks).toString("utf8");
            req.socket.destroy();
          });
          answer.on("error", () => req.socket.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on("error", () => res.destroy());
      },
    );
    upstream.on("error", (error) => {
      event.error = error.message;
      req.socket.destroy();
    });
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  proxy.port = port;
  proxy.url = `http://127.0.0.1:${port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return proxy;
}
