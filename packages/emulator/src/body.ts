import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { invalidRequest } from "./errors.ts";

/** The part of a Hono context these helpers use (any route's context fits). */
export interface BodyContext {
  env: unknown;
  req: { raw: Request };
}

/** The Node request under `@hono/node-server`, or undefined when the app is called with `app.request()`. */
export const incomingOf = (c: BodyContext): IncomingMessage | undefined =>
  (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;

/**
 * The request body as a Node stream. Under `@hono/node-server` this is the socket's own
 * `IncomingMessage` (never buffered whole); otherwise the Web body is adapted.
 */
export function requestBodyStream(c: BodyContext): Readable {
  const incoming = incomingOf(c);
  if (incoming) return incoming;
  const body = c.req.raw.body;
  return body ? Readable.fromWeb(body as import("node:stream/web").ReadableStream) : Readable.from([]);
}

/**
 * The request body parsed as JSON, or undefined when it is empty or blank.
 * @throws 400 `InvalidRequest` ("The body is not JSON") when it does not parse.
 */
export async function readJsonBody(c: { req: { text(): Promise<string> } }): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw invalidRequest("The body is not JSON", cause);
  }
}

const ended = (s: Readable) => s.readableEnded || s.destroyed;

/**
 * Reads and throws away what is left of the request body, so a client still uploading gets the
 * response instead of a reset connection. Resolves when the body ended or the connection closed; a
 * client that sends nothing for `idleMs` has its connection closed.
 */
export async function discardRequestBody(c: BodyContext, { idleMs = 10_000 } = {}): Promise<void> {
  const incoming = incomingOf(c);
  if (!incoming) {
    if (c.req.raw.body && !c.req.raw.bodyUsed && !c.req.raw.body.locked) {
      await c.req.raw.body.cancel().catch(() => {});
    }
    return;
  }
  if (ended(incoming)) return;
  await new Promise<void>((resolve) => {
    let timer = setTimeout(() => incoming.socket.destroy(), idleMs);
    const onData = () => {
      clearTimeout(timer);
      timer = setTimeout(() => incoming.socket.destroy(), idleMs);
    };
    const done = () => {
      clearTimeout(timer);
      incoming.off("data", onData);
      resolve();
    };
    incoming.once("end", done);
    incoming.once("close", done);
    incoming.once("error", done);
    incoming.on("data", onData);
    incoming.unpipe();
    incoming.resume();
  });
}

/**
 * Reads `afterBytes` bytes of the request body (or all of it when shorter) and then destroys the
 * socket: the client sees its connection dropped mid-request. Without a Node socket (`app.request`)
 * the body is cancelled instead.
 */
export async function dropConnection(c: BodyContext, afterBytes: number): Promise<void> {
  const incoming = incomingOf(c);
  if (!incoming) {
    await c.req.raw.body?.cancel().catch(() => {});
    return;
  }
  await new Promise<void>((resolve) => {
    let read = 0;
    const drop = () => {
      incoming.off("data", onData);
      incoming.pause();
      incoming.socket.destroy();
      resolve();
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read >= afterBytes) drop();
    };
    if (afterBytes <= 0 || ended(incoming)) return drop();
    incoming.on("data", onData);
    incoming.once("end", drop);
    incoming.once("close", drop);
  });
}
