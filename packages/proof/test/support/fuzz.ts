/**
 * Building blocks of the fuzz runs: hostile values (wrong types, odd strings, broken PEMs, fileData
 * of every wrong kind), options mutated at a path, and a `fetch` that records every request.
 */
import { generateKeyPairSync } from "node:crypto";
import { Readable } from "node:stream";
import fc from "fast-check";
import type { RsaPair } from "./keys.ts";

/** A path into an options object. */
export type Path = (string | number)[];

/** Marks a member to delete rather than set. */
export const DELETE = Symbol("delete");

/** A copy of `root` with the value at `path` replaced (or deleted); nothing of `root` is changed. */
export function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value === DELETE ? undefined : value;
  const [head, ...rest] = path as [string | number, ...Path];
  type Container = Record<string | number, unknown>;
  const container = root as Container;
  const copy = (Array.isArray(container) ? [...container] : { ...container }) as Container;
  const next = setAt(container?.[head], rest, value);
  if (rest.length === 0 && value === DELETE) delete copy[head];
  else copy[head] = next;
  return copy;
}

/** The error a user's callback throws, to tell it apart from the SDK's. */
export class CallbackError extends Error {}

/** Values of every JavaScript type but string. */
export const notAString: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.bigInt(),
  fc.constant(Symbol("s")),
  fc.constant(() => "a function"),
  fc.object({ maxDepth: 1 }),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.constant(new Uint8Array([45, 45])),
  fc.constant(new Date(0)),
);

/** Values of every JavaScript type but object. */
export const notAnObject: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.bigInt(),
  fc.constant(Symbol("o")),
);

/** Strings of every kind: unicode (lone surrogates too), control characters, long and huge ones. */
export const oddString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 64 }),
  fc.string({ unit: "grapheme", maxLength: 64 }),
  fc.string({ unit: fc.integer({ min: 0, max: 31 }).map((c) => String.fromCharCode(c)), maxLength: 16 }),
  fc.constantFrom("", " ", "\u0000", "\uD800", "\uFEFF", "é", "𝄞", "../..", "%00", "\r\n", "a\u2028b"),
  fc.constantFrom(10_000, 1_000_000, 4_000_000).map((n) => "A".repeat(n)),
  fc.constantFrom(1_000, 100_000).map((n) => "\u0000\uFFFF𝄞".repeat(n)),
);

/** Anything at all, the hostile kinds included. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withMap: true,
    withSet: true,
    withObjectString: true,
    withNullPrototype: true,
    withTypedArray: true,
    withSparseArray: true,
    withDate: true,
    stringUnit: "binary",
    maxDepth: 3,
  }),
  oddString,
  notAString,
  fc.constant(DELETE),
);

/**
 * PEMs that are not the key asked for (`want`): other kinds, broken bodies, wrong labels. `surely`
 * never import as `want`; `maybe` might (one character of the key changed).
 */
export function wrongPems(keys: RsaPair, want: "private" | "public") {
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const body = keys.privatePem.split("\n").slice(1, -2).join("");
  const wrap = (label: string, text: string) => `-----BEGIN ${label}-----\n${text}\n-----END ${label}-----\n`;
  const label = want === "private" ? "RSA PRIVATE KEY" : "RSA PUBLIC KEY";
  const otherKind =
    want === "private" ? [keys.publicPem, keys.publicSpkiPem] : [keys.privatePem, keys.privatePkcs8Pem];
  const surely = fc.oneof(
    fc.constantFrom(
      ec.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      ec.publicKey.export({ type: "spki", format: "pem" }).toString(),
      ...otherKind,
      wrap("CERTIFICATE", body),
      `-----BEGIN ${label}-----\n${body}\n-----END PRIVATE KEY-----\n`,
      `${keys.privatePem}${keys.privatePem}`,
      wrap(label, `Proc-Type: 4,ENCRYPTED\n${body}`),
      wrap(label, "!!!not base64!!!"),
      wrap(label, body.replace(/\+/g, "-").replace(/\//g, "_")),
      wrap(label, ""),
      wrap(label, "AAAA"),
      wrap(label, "MA=="),
      "-----BEGIN ",
      `-----BEGIN ${label}-----`,
    ),
    // The key's base64 cut short.
    fc.integer({ min: 1, max: body.length - 8 }).map((n) => wrap("RSA PRIVATE KEY", body.slice(0, n))),
    // Random bytes as a body, under each label.
    fc
      .tuple(
        fc.constantFrom("RSA PRIVATE KEY", "PRIVATE KEY", "RSA PUBLIC KEY", "PUBLIC KEY"),
        fc.uint8Array({ minLength: 1, maxLength: 600 }),
      )
      .map(([l, bytes]) => wrap(l, Buffer.from(bytes).toString("base64"))),
  );
  const maybe = fc
    .tuple(fc.integer({ min: 0, max: body.length - 1 }), fc.constantFrom("A", "/", "=", "*", " "))
    .map(([at, c]) => wrap("RSA PRIVATE KEY", body.slice(0, at) + c + body.slice(at + 1)));
  return { surely, maybe };
}

/** A stream source that yields `chunks`, then fails with `failure` if given. */
function streamOf(chunks: unknown[], failure?: unknown): ReadableStream<unknown> {
  return new ReadableStream<unknown>({
    pull(controller) {
      if (chunks.length > 0) controller.enqueue(chunks.shift());
      else if (failure !== undefined) controller.error(failure);
      else controller.close();
    },
  });
}

/** `fileData` that is no accepted kind: refused before any request. */
export const badFileData: fc.Arbitrary<unknown> = fc.oneof(
  notAnObject,
  fc.constantFrom(
    [1, 2, 3],
    [new Uint8Array([1])],
    { length: 3 },
    { size: 3 },
    { [Symbol.asyncIterator]: "not a function" },
    new DataView(new ArrayBuffer(4)),
    new Map(),
  ),
  fc.constant(null).map(() => {
    const locked = new ReadableStream();
    locked.getReader();
    return locked;
  }),
  fc.constant(null).map(() => {
    const ended = Readable.from([]);
    ended.destroy();
    return ended;
  }),
);

/**
 * `fileData` of an accepted kind whose content turns out bad as it is read: chunks that are not
 * bytes, a source that fails. Only reading finds out, so a request may have started.
 */
export const treacherousFileData: fc.Arbitrary<() => unknown> = fc.oneof(
  fc
    .array(fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.nat(255))), {
      minLength: 1,
      maxLength: 3,
    })
    .map((chunks) => () => streamOf([new Uint8Array([1, 2]), ...chunks])),
  // A source that fails: the failure is the caller's own (a CallbackError), passed on or wrapped.
  fc.constant(() => streamOf([new Uint8Array(100)], new CallbackError("disk gone"))),
  fc
    .array(fc.oneof(fc.string(), fc.integer()), { minLength: 1, maxLength: 3 })
    .map((chunks) => () => Readable.from([new Uint8Array(3), ...chunks], { objectMode: true })),
  fc.constant(() => ({
    // An async iterable that throws after a chunk.
    async *[Symbol.asyncIterator]() {
      yield new Uint8Array(10);
      throw new CallbackError("iterator failed");
    },
  })),
  // A Blob-like object whose size lies.
  fc.constant(() => ({
    size: 10,
    stream: () => streamOf([new Uint8Array(100)]),
    arrayBuffer: async () => new ArrayBuffer(100),
  })),
);

/** Good `fileData` of every accepted kind (made fresh: streams are read once). */
export const goodFileData: fc.Arbitrary<() => unknown> = fc
  .tuple(
    fc.constantFrom("bytes", "buffer", "arraybuffer", "blob", "stream", "iterable", "subarray"),
    fc.uint8Array({ maxLength: 3000 }),
  )
  .map(([kind, bytes]) => () => {
    switch (kind) {
      case "bytes":
        return new Uint8Array(bytes);
      case "buffer":
        return Buffer.from(bytes);
      case "arraybuffer":
        return new Uint8Array(bytes).buffer;
      case "blob":
        return new Blob([new Uint8Array(bytes)]);
      case "stream":
        return streamOf([new Uint8Array(bytes)]);
      case "iterable":
        return Readable.from([new Uint8Array(bytes)]);
      default: {
        const big = new Uint8Array(bytes.length + 10);
        big.set(bytes, 5);
        return big.subarray(5, 5 + bytes.length);
      }
    }
  });

/** One request a recording fetch saw. */
export interface SeenCall {
  url: string;
  method: string;
  authorization: string | null;
  body: string;
}

/** Reads a request body as a real fetch would, so that a failing source fails the fetch. */
export async function readBody(init: RequestInit | undefined): Promise<string> {
  if (init?.body === undefined || init.body === null) return "";
  return await new Response(init.body as BodyInit).text();
}

/** A fetch that records every call, reads the body, and responds with `answer` (default: no network). */
export function recordingFetch(answer?: (call: SeenCall, index: number) => Response | Promise<Response>) {
  const calls: SeenCall[] = [];
  const fetchFn = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    const call: SeenCall = {
      url: input instanceof Request ? input.url : String(input),
      method: init?.method ?? "GET",
      authorization: headers.get("authorization"),
      body: "",
    };
    calls.push(call);
    try {
      call.body = await readBody(init);
    } catch (cause) {
      throw new TypeError("fetch failed", { cause });
    }
    if (answer === undefined)
      throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED") });
    return answer(call, calls.length - 1);
  };
  return { fetch: fetchFn as typeof fetch, calls };
}
