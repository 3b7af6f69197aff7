/**
 * A streaming `multipart/form-data` reader: parts are read one after the other, and a part's body is
 * handed over chunk by chunk as it arrives, so a file part is never held whole in memory.
 */

import { delimiterSearch, indexOf } from "./byte-search.ts";

/** Why a multipart body could not be read. */
export class MultipartError extends Error {
  /** @param message - What is wrong with the body (never its content). */
  constructor(message: string) {
    super(message);
    this.name = "MultipartError";
  }
}

/** The headers of one part that matter to a form. */
export interface PartInfo {
  /** The field name from `Content-Disposition`. */
  name: string;
  /** The file name from `Content-Disposition`, when the part is a file. */
  filename: string | undefined;
  /** The part's `Content-Type`, when it has one. */
  contentType: string | undefined;
}

const CRLF = new Uint8Array([13, 10]);
const HEADER_END = new Uint8Array([13, 10, 13, 10]);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The boundary of a `multipart/form-data` content type, or `undefined` when it is not one.
 *
 * @param contentType - The request's `Content-Type` header.
 */
export function getBoundary(contentType: string | null | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType.trim())) return undefined;
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  return boundary && /^[0-9A-Za-z'()+_,\-./:=? ]+$/.test(boundary) ? boundary : undefined;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function parseParams(header: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let m = re.exec(header); m; m = re.exec(header)) {
    const key = (m[1] as string).toLowerCase();
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : (m[3] ?? "").trim();
    if (!params.has(key)) params.set(key, value);
  }
  return params;
}

function decodeExtended(value: string): string | undefined {
  const match = /^utf-8''(.*)$/i.exec(value);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1] as string);
  } catch {
    return undefined;
  }
}

function parseHeaders(block: string): PartInfo {
  let disposition: string | undefined;
  let contentType: string | undefined;
  for (const line of block.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new MultipartError("a part header is malformed");
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === "content-disposition") disposition = value;
    else if (key === "content-type") contentType = value;
  }
  if (!disposition || !/^form-data\s*(;|$)/i.test(disposition)) {
    throw new MultipartError("a part has no Content-Disposition: form-data header");
  }
  const params = parseParams(
    disposition.slice(disposition.indexOf(";") >= 0 ? disposition.indexOf(";") : disposition.length),
  );
  const name = params.get("name");
  if (name === undefined) throw new MultipartError("a part has no name");
  const extended = params.get("filename*");
  const filename = (extended !== undefined ? decodeExtended(extended) : undefined) ?? params.get("filename");
  return { name, filename, contentType };
}

/** Options of {@link MultipartReader}. */
export interface MultipartReaderOptions {
  /** Largest header block of one part, in bytes (default 8 KiB). */
  maxHeaderBytes?: number;
  /** Largest whole body, in bytes (default: no limit). */
  maxBytes?: number;
  /** Makes the error thrown when the body is larger than `maxBytes` (default a {@link MultipartError}). */
  tooLarge?: () => Error;
  /**
   * Most parts in the body (default: no limit); one more is a {@link MultipartError}. Skipped
   * parts cost parsing too, and a form need not have many.
   */
  maxParts?: number;
}

/**
 * Reads a `multipart/form-data` stream part by part.
 *
 * ```ts
 * const reader = new MultipartReader(request.body, boundary);
 * for (let part = await reader.next(); part; part = await reader.next()) {
 *   for await (const chunk of reader.body()) { ... }
 * }
 * ```
 */
export class MultipartReader {
  readonly #source: ReadableStreamDefaultReader<Uint8Array>;
  readonly #delimiter: Uint8Array;
  readonly #findDelimiter: (haystack: Uint8Array) => number;
  readonly #maxHeaderBytes: number;
  // Unconsumed bytes. A CRLF is put in front so that the first boundary looks like every other.
  #buf: Uint8Array = CRLF;
  readonly #maxBytes: number;
  readonly #tooLarge: () => Error;
  #read = 0;
  #parts = 0;
  readonly #maxParts: number;
  #sourceDone = false;
  #state: "preamble" | "headers" | "body" | "done" = "preamble";

  /**
   * @param body - The request body.
   * @param boundary - The boundary from the `Content-Type` (see `getBoundary`).
   * @param options - Size limits and the error for a body that is too large.
   */
  constructor(body: ReadableStream<Uint8Array>, boundary: string, options: MultipartReaderOptions = {}) {
    this.#source = body.getReader();
    this.#delimiter = encoder.encode(`\r\n--${boundary}`);
    this.#findDelimiter = delimiterSearch(this.#delimiter);
    this.#maxHeaderBytes = options.maxHeaderBytes ?? 8192;
    this.#maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.#tooLarge = options.tooLarge ?? (() => new MultipartError("the body is too large"));
    this.#maxParts = options.maxParts ?? Number.POSITIVE_INFINITY;
  }

  /** The source's next chunk, counted against `maxBytes`; `undefined` at its end. */
  async #next(): Promise<Uint8Array | undefined> {
    if (this.#sourceDone) return undefined;
    const { done, value } = await this.#source.read();
    if (done) {
      this.#sourceDone = true;
      return undefined;
    }
    this.#read += value.byteLength;
    if (this.#read > this.#maxBytes) {
      await this.cancel();
      throw this.#tooLarge();
    }
    return value;
  }

  async #fill(): Promise<boolean> {
    const value = await this.#next();
    if (!value) return false;
    this.#buf = concat(this.#buf, value);
    return true;
  }

  async #need(bytes: number): Promise<void> {
    while (this.#buf.length < bytes) {
      if (!(await this.#fill())) throw new MultipartError("the body ended in the middle of a part");
    }
  }

  /** Reads up to and including the next delimiter, yielding what came before it. */
  async *#untilDelimiter(): AsyncGenerator<Uint8Array> {
    const keep = this.#delimiter.length - 1;
    for (;;) {
      const at = this.#findDelimiter(this.#buf);
      if (at >= 0) {
        if (at > 0) yield this.#buf.subarray(0, at);
        this.#buf = this.#buf.subarray(at + this.#delimiter.length);
        return;
      }
      const safe = this.#buf.length - keep;
      if (safe > 0) {
        const chunk = this.#buf.subarray(0, safe);
        this.#buf = this.#buf.subarray(safe);
        yield chunk;
      }
      const next = await this.#next();
      if (!next) throw new MultipartError("the body ended before the closing boundary");
      // Fewer than a delimiter's bytes are left over. Unless a delimiter starts in them, they go on
      // by themselves rather than copied in front of the next chunk (a copy of every chunk).
      const carried = this.#buf;
      if (
        carried.length > 0 &&
        next.length >= keep &&
        this.#findDelimiter(concat(carried, next.subarray(0, keep))) < 0
      ) {
        this.#buf = next;
        yield carried;
      } else this.#buf = concat(carried, next);
    }
  }

  /**
   * Moves to the next part, skipping whatever is left of the current one.
   *
   * @returns The part's headers, or `null` after the closing boundary.
   */
  async next(): Promise<PartInfo | null> {
    if (this.#state === "done") return null;
    if (this.#state !== "headers") {
      for await (const _ of this.#untilDelimiter()) {
        // skipped: preamble or the unread rest of a part
      }
    }
    // After a delimiter: "--" closes the body; otherwise optional padding, then CRLF.
    await this.#need(2);
    if (this.#buf[0] === 45 && this.#buf[1] === 45) {
      this.#state = "done";
      await this.#source.cancel().catch(() => {});
      return null;
    }
    let end = indexOf(this.#buf, HEADER_END);
    while (end < 0) {
      if (this.#buf.length > this.#maxHeaderBytes) throw new MultipartError("a part's headers are too large");
      if (!(await this.#fill())) throw new MultipartError("the body ended in a part's headers");
      end = indexOf(this.#buf, HEADER_END);
    }
    const lineEnd = indexOf(this.#buf, CRLF);
    if (this.#buf.subarray(0, lineEnd).some((b) => b !== 32 && b !== 9)) {
      throw new MultipartError("a boundary line is malformed");
    }
    if (end > this.#maxHeaderBytes) throw new MultipartError("a part's headers are too large");
    const block = decoder.decode(this.#buf.subarray(lineEnd + 2, end));
    this.#buf = this.#buf.subarray(end + 4);
    this.#state = "body";
    // A part without headers has lineEnd === end: no header block at all.
    if (lineEnd === end) throw new MultipartError("a part has no headers");
    if (++this.#parts > this.#maxParts)
      throw new MultipartError(`the form has more than ${this.#maxParts} parts`);
    return parseHeaders(block);
  }

  /**
   * The current part's body, chunk by chunk, as it arrives. Chunks are never reused, so keeping them is
   * safe. Leaving the loop early is fine: {@link MultipartReader.next} skips the rest.
   */
  async *body(): AsyncGenerator<Uint8Array> {
    if (this.#state !== "body") return;
    yield* this.#untilDelimiter();
    this.#state = "headers";
  }

  /**
   * The current part's body as text, refusing more than `maxBytes`.
   *
   * @param maxBytes - Largest accepted body.
   * @returns The text, or `undefined` when the part is larger.
   */
  async text(maxBytes: number): Promise<string | undefined> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let tooLarge = false;
    for await (const chunk of this.body()) {
      size += chunk.length;
      if (size > maxBytes) tooLarge = true;
      else chunks.push(chunk);
    }
    if (tooLarge) return undefined;
    let all: Uint8Array = new Uint8Array(0);
    for (const chunk of chunks) all = concat(all, chunk);
    return decoder.decode(all);
  }

  /** Stops reading, releasing the source. */
  async cancel(reason?: unknown): Promise<void> {
    this.#state = "done";
    await this.#source.cancel(reason).catch(() => {});
  }
}
