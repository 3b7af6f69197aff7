import type { HttpBindings } from "@hono/node-server";
import { createMiddleware } from "hono/factory";
import { incomingOf } from "../body.ts";
import { ApiError } from "../errors.ts";

/**
 * Middleware factory: refuses bodies over `maxBytes` with 413 `PayloadTooLarge` (not for uploads,
 * which stream). A declared `Content-Length` is checked up front; a chunked body is read up to
 * the limit from the Node request itself, so that after a refusal the rest can still be drained
 * (Hono's `bodyLimit` locks the Web body, after which the connection can only be reset).
 */
export const limitBody = ({ maxBytes = 1024 * 1024 }: { maxBytes?: number } = {}) =>
  createMiddleware<{ Bindings: Partial<HttpBindings> }>(async (c, next) => {
    const tooLarge = () => new ApiError(413, "PayloadTooLarge", `The body is larger than ${maxBytes} bytes`);
    const declared = c.req.header("content-length");
    if (declared !== undefined) {
      if (Number(declared) > maxBytes) throw tooLarge();
      return next();
    }
    const incoming = incomingOf(c);
    if (!incoming || !c.req.header("transfer-encoding")) return next();
    const chunks: Buffer[] = [];
    let size = 0;
    await new Promise<void>((resolve, reject) => {
      const stop = (error?: Error) => {
        incoming.off("data", onData);
        incoming.off("end", onEnd);
        incoming.off("error", stop);
        incoming.pause();
        if (error) reject(error);
        else resolve();
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) return stop(tooLarge());
        chunks.push(chunk);
      };
      const onEnd = () => stop();
      incoming.on("data", onData);
      incoming.once("end", onEnd);
      incoming.once("error", stop);
    });
    const { method, headers, url } = c.req.raw;
    c.req.raw = new Request(url, { method, headers, body: Buffer.concat(chunks) });
    await next();
  });
