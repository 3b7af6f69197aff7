import { cors } from "hono/cors";
import { getConfig } from "../config.ts";
import type { AppEnv } from "../env.ts";
import { RAW_UPLOAD_HEADERS } from "../lib/raw-upload.ts";
import { SEALED_HEADERS } from "../lib/sealed-envelope.ts";
import { TUS_ANSWER_HEADERS, TUS_REQUEST_HEADERS } from "../lib/tus/protocol.ts";

/**
 * CORS for the app origins in `ALLOWED_ORIGINS` only, with credentials. Any other origin gets no
 * `Access-Control-Allow-Origin`, so its browser cannot read the answer. A broken configuration
 * allows no origin (the route itself then responds with 500). Allowed request headers: `Content-Type`,
 * the envelope headers of sealed uploads, the descriptor header of raw uploads and tus's; exposed:
 * `Retry-After` and tus's response headers.
 */
export function corsForAllowedOrigins() {
  return cors({
    origin: (origin, c) => {
      try {
        return getConfig(c.env as AppEnv["Bindings"]).allowedOrigins.has(origin) ? origin : null;
      } catch {
        return null;
      }
    },
    credentials: true,
    allowMethods: ["GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: [
      "Content-Type",
      ...Object.values(SEALED_HEADERS),
      RAW_UPLOAD_HEADERS.fileDescriptor,
      ...TUS_REQUEST_HEADERS,
    ],
    exposeHeaders: ["Retry-After", ...TUS_ANSWER_HEADERS],
    maxAge: 600,
  });
}
