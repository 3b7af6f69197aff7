/**
 * What the JavaScript runtime can do, detected once by trying it, never by a list of versions.
 */

/** What the SDK needs to know about the runtime's fetch. */
export interface RuntimeSupport {
  /**
   * `new Request(url, { redirect: "error" })` is accepted. Node's fetch keeps every chunk of a
   * streamed body (to replay it on a redirect) unless the request says `"error"`; workerd refuses
   * `"error"`, so there the SDK says `"manual"` and treats any 3xx as an error.
   */
  redirectError: boolean;
  /** A `ReadableStream` can be a request body (`duplex: "half"`). */
  requestStreams: boolean;
  /** A browser (or a browser's worker): streams request bodies only over HTTP/2 or later. */
  browser: boolean;
  /** A short name of the runtime for the SDK's `agent` (`node`, `deno`, `bun`, `workerd`, `browser`). */
  name: string | undefined;
}

let detected: RuntimeSupport | undefined;

const PROBE_URL = "http://localhost/";

function runtimeName(): string | undefined {
  const ua = String((globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent ?? "");
  if (ua.startsWith("Cloudflare-Workers")) return "workerd";
  if (ua.startsWith("Node.js")) return "node";
  if (ua.startsWith("Deno")) return "deno";
  if (ua.startsWith("Bun")) return "bun";
  if (ua.startsWith("Mozilla/")) return "browser";
  const proc = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  return typeof proc?.versions?.node === "string" ? "node" : undefined;
}

function acceptsRedirectError(): boolean {
  try {
    new Request(PROBE_URL, { redirect: "error" });
    return true;
  } catch {
    return false;
  }
}

// Node, Deno, Bun and workerd all stream request bodies (Deno, Bun and workerd without reading
// `duplex`). Elsewhere, the usual probe: a runtime that streams request bodies reads `duplex`, and
// does not turn the stream into a string body (which would add a text/plain Content-Type).
function acceptsRequestStreams(name: string | undefined): boolean {
  if (name !== undefined && name !== "browser") return true;
  try {
    let duplexRead = false;
    const init = {
      method: "POST",
      body: new ReadableStream(),
      get duplex() {
        duplexRead = true;
        return "half";
      },
    } as RequestInit;
    const hasContentType = new Request(PROBE_URL, init).headers.has("Content-Type");
    return duplexRead && !hasContentType;
  } catch {
    return false;
  }
}

/** What this runtime supports; detected on the first call, then cached. */
export function runtimeSupport(): RuntimeSupport {
  if (detected === undefined) {
    const name = runtimeName();
    detected = {
      redirectError: acceptsRedirectError(),
      requestStreams: acceptsRequestStreams(name),
      browser: name === "browser" || typeof (globalThis as { document?: unknown }).document !== "undefined",
      name,
    };
  }
  return detected;
}

/**
 * Whether an upload's body is sent as a stream: as `streamUploads` says when set, else where the
 * runtime streams request bodies, browsers excepted (they do only over HTTP/2 or later).
 */
export function streamsUploads(streamUploads: boolean | undefined): boolean {
  return streamUploads ?? (runtimeSupport().requestStreams && !runtimeSupport().browser);
}
