/**
 * Input schemas (zod/mini) of every public operation, and {@link parseInput}, which turns a
 * failure into a {@link TypeValidationError} naming each field without ever echoing its value.
 */
import * as z from "zod/mini";
import { TypeValidationError, type ValidationIssue } from "./errors.js";

// --- Field checks (plain predicates, so that other modules can reuse them) -----------------------

/** Whether `s` holds a control character (C0 or DEL). */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Whether `s` holds a lone UTF-16 surrogate (which `encodeURIComponent` refuses to encode). */
function hasLoneSurrogate(s: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/**
 * Whether `s` can stand as one segment of a URL path without changing the path: not empty, no
 * `/`, `\`, `?`, `#`, `%`, no `..`, no whitespace, control characters or lone surrogates.
 */
export function isPathSegment(s: string): boolean {
  return (
    s.length > 0 &&
    s !== "." &&
    !s.includes("..") &&
    !/[/\\?#%\s]/.test(s) &&
    !hasControl(s) &&
    !hasLoneSurrogate(s)
  );
}

/** Whether `s` is usable as a multipart `filename`: not empty, no path separator or control characters. */
export function isFileName(s: string): boolean {
  return s.length > 0 && s.length <= 1024 && s !== "." && s !== ".." && !/[/\\]/.test(s) && !hasControl(s);
}

/** Whether `s` is an absolute `http:` or `https:` URL without credentials. */
export function isHttpUrl(s: string): boolean {
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return false;
  }
  return (
    (url.protocol === "https:" || url.protocol === "http:") && url.username === "" && url.password === ""
  );
}

/** Whether `s` can be an API root: an http(s) URL without credentials, query or fragment. */
function isHttpRoot(s: string): boolean {
  return isHttpUrl(s) && !s.includes("?") && !s.includes("#");
}

function isAbsoluteUrl(s: string): boolean {
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Length in bytes of the standard, padded base64 `s` (assumed valid). */
function base64Length(s: string): number {
  return (s.length / 4) * 3 - (s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0);
}

function isFunction(v: unknown): v is (...args: never[]) => unknown {
  return typeof v === "function";
}

function isAbortSignal(v: unknown): v is AbortSignal {
  return (
    typeof v === "object" &&
    v !== null &&
    typeof (v as AbortSignal).aborted === "boolean" &&
    typeof (v as AbortSignal).addEventListener === "function"
  );
}

/** Whether `v` is a web `ReadableStream` (also one from another realm). */
export function isReadableStream(v: unknown): v is ReadableStream<Uint8Array> {
  return (
    (typeof ReadableStream !== "undefined" && v instanceof ReadableStream) ||
    (typeof v === "object" &&
      v !== null &&
      typeof (v as ReadableStream).getReader === "function" &&
      typeof (v as ReadableStream).pipeThrough === "function")
  );
}

// --- Field schemas ------------------------------------------------------------------------------
// Few zod constructors on purpose (object, string, number, optional, array, custom, refine): each
// one adds to what a bundle that writes pulls in. Every other rule is a plain predicate.

/** A string that `test` accepts; `message` says what it must be. */
const str = (test: (s: string) => boolean, message: string) => z.string().check(z.refine(test, message));
/** A number that `test` accepts; `message` says what it must be. */
const num = (test: (n: number) => boolean, message: string) => z.number().check(z.refine(test, message));
const nonEmpty = () => str((s) => s.length > 0, "must not be empty");
const pathSegment = () =>
  str(
    isPathSegment,
    "must be a single URL path segment: not empty, no '/', '\\', '?', '#', '%', '..', whitespace, control characters or lone surrogates",
  );
const pem = () => str((s) => s.includes("-----BEGIN "), "must be a PEM block (-----BEGIN ...)");
const fn = <T extends (...args: never[]) => unknown>() => z.custom<T>(isFunction, "must be a function");
const signal = () => z.custom<AbortSignal>(isAbortSignal, "must be an AbortSignal");
const fileName = () => str(isFileName, "must be a file name: not empty, no '/', '\\' or control characters");
const httpRoot = () =>
  z.optional(str(isHttpRoot, "must be an absolute http(s) URL without credentials, query or fragment"));
const atLeastZero = () => z.optional(num((n) => n >= 0, "must be at least 0"));

/**
 * `make`, called on first use and remembered. Operation schemas are made this way, so that a bundle
 * without the operation holds none of its schema: bundlers keep a top-level call, used or not.
 */
function once<T>(make: () => T): () => T {
  let made: T | undefined;
  return () => {
    made ??= make();
    return made;
  };
}

const tokenValue = z.object({ value: nonEmpty(), expiry: z.number() });

/** A `UserAccessToken`. */
export const userAccessTokenSchema = z.object({ accessToken: tokenValue, refreshToken: tokenValue });

/** `contractDetails`. */
export const contractDetailsSchema = z.object({
  contractId: pathSegment(),
  privateKey: pem(),
  redirectUri: str(isAbsoluteUrl, "must be an absolute URL"),
});

/**
 * A file descriptor. Other members are allowed, though the parsed copy drops them: operations
 * encrypt the caller's own object, which keeps every member in its order.
 */
export const fileDescriptorSchema = z.object({
  mimeType: nonEmpty(),
  accounts: z.array(z.object({ accountId: nonEmpty() })),
  reference: z.optional(z.array(z.string())),
  tags: z.optional(z.array(z.string())),
});

const lifecycle = {
  refresh: z.optional(fn()),
  onTokenRefreshed: z.optional(fn()),
};

/** A `SealedFile`, shapes checked as far as they can be without the postbox key. */
export const sealedFileSchema = /* @__PURE__ */ once(() =>
  z.object({
    iv: str((s) => /^[0-9a-f]{32}$/.test(s), "must be 32 lowercase hex characters"),
    symmetricalKey: str((s) => s.length > 0 && BASE64.test(s), "must be standard padded base64"),
    metadata: str(
      (s) => s.length > 0 && BASE64.test(s) && base64Length(s) % 16 === 0,
      "must be standard padded base64 of a whole number of AES blocks",
    ),
    body: z
      .custom<ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer>>(
        (v) => v instanceof Uint8Array || isReadableStream(v),
        "must be a Uint8Array or a ReadableStream",
      )
      .check(
        z.refine(
          (b) => !(b instanceof Uint8Array) || (b.length > 0 && b.length % 16 === 0),
          "must be a whole number of AES blocks",
        ),
      ),
    size: z.optional(
      num((n) => Number.isSafeInteger(n) && n > 0 && n % 16 === 0, "must be a positive multiple of 16"),
    ),
  }),
);

// --- Operation schemas (`fileData` is checked by the file-data normaliser, not here) -------------

/** `init` options. `retry: false` is taken out before this check (see `resolveConfig`). */
export const configSchema = /* @__PURE__ */ once(() =>
  z.object({
    applicationId: pathSegment(),
    baseUrl: httpRoot(),
    onboardUrl: httpRoot(),
    fetch: z.optional(fn<typeof fetch>()),
    trustedKeyOrigins: z.optional(
      z.array(
        str(
          (s) => isHttpUrl(s) && new URL(s).origin !== "null" && /^[a-z]+:\/\/[^/?#]+\/?$/i.test(s),
          "must be an origin: scheme, host and port only, e.g. https://api.digi.me",
        ),
      ),
    ),
    retry: z.optional(
      z.object({
        limit: z.optional(
          num((n) => Number.isInteger(n) && n >= 0 && n <= 10, "must be an integer from 0 to 10"),
        ),
        baseDelayMs: atLeastZero(),
        maxDelayMs: atLeastZero(),
        maxRetryAfterMs: atLeastZero(),
      }),
    ),
    timeoutMs: z.optional(num((n) => n > 0, "must be positive")),
    streamUploads: z.optional(z.custom<boolean>((v) => typeof v === "boolean", "must be a boolean")),
  }),
);

/** `getAuthorizeUrl` options. */
export const authorizeOptionsSchema = /* @__PURE__ */ once(() =>
  z.object({
    contractDetails: contractDetailsSchema,
    callback: str(isHttpUrl, "must be an absolute http(s) URL without credentials"),
    state: z.optional(z.string()),
    serviceId: z.optional(
      z.custom<string | number>(
        (v) => typeof v === "number" || (typeof v === "string" && v !== ""),
        "must be a number or a non-empty string",
      ),
    ),
    userAccessToken: z.optional(userAccessTokenSchema),
    sessionOptions: z.optional(
      z.custom<Record<string, unknown>>(
        (v) => typeof v === "object" && v !== null && !Array.isArray(v),
        "must be an object",
      ),
    ),
    signal: z.optional(signal()),
  }),
);

/** `exchangeCodeForToken` options. */
export const exchangeOptionsSchema = /* @__PURE__ */ once(() =>
  z.object({
    contractDetails: contractDetailsSchema,
    authorizationCode: nonEmpty(),
    codeVerifier: str(
      (s) => /^[A-Za-z0-9\-._~]{43,128}$/.test(s),
      "must be a PKCE code verifier (43 to 128 unreserved characters)",
    ),
    signal: z.optional(signal()),
  }),
);

/** `refreshToken` options. */
export const refreshOptionsSchema = /* @__PURE__ */ once(() =>
  z.object({
    contractDetails: contractDetailsSchema,
    userAccessToken: userAccessTokenSchema,
    signal: z.optional(signal()),
  }),
);

/** `seal` options. */
export const sealOptionsSchema = /* @__PURE__ */ once(() =>
  z.object({
    publicKey: pem(),
    fileDescriptor: fileDescriptorSchema,
    onProgress: z.optional(fn()),
  }),
);

/** `sendSealed` options. */
export const sendSealedOptionsSchema = /* @__PURE__ */ once(() =>
  z.object({
    contractDetails: contractDetailsSchema,
    userAccessToken: userAccessTokenSchema,
    postboxId: pathSegment(),
    sealed: sealedFileSchema(),
    fileName: fileName(),
    signal: z.optional(signal()),
    onProgress: z.optional(fn()),
    ...lifecycle,
  }),
);

/** `write` options. */
export const writeOptionsSchema = /* @__PURE__ */ once(() =>
  z.object({
    contractDetails: contractDetailsSchema,
    userAccessToken: userAccessTokenSchema,
    postboxId: pathSegment(),
    publicKey: pem(),
    data: z.object({ fileName: fileName(), fileDescriptor: fileDescriptorSchema }),
    signal: z.optional(signal()),
    onProgress: z.optional(fn()),
    ...lifecycle,
  }),
);

// --- parseInput ----------------------------------------------------------------------------------

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let v = root;
  for (const key of path) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

// Messages are made here from the issue, never from the input: zod/mini's own are generic, and the
// value may be a secret. The schemas above make only `invalid_type` and `custom` issues.
function describe(issue: z.core.$ZodIssue, root: unknown): string {
  if (issue.code === "custom") return issue.message;
  if (issue.code !== "invalid_type") return "is invalid";
  const actual = valueAt(root, issue.path);
  return actual === undefined ? "is required" : `must be ${issue.expected}, not ${typeName(actual)}`;
}

/**
 * Checks `value` against `schema` and answers the parsed value.
 * @param what Names the input in the error message, e.g. `"write options"`.
 * @throws TypeValidationError whose `issues` hold each field's path and what is wrong with it.
 */
export function parseInput<S extends z.ZodMiniType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw validationError(
    what,
    result.error.issues.map((issue) => ({
      path: issue.path.map((key) => (typeof key === "symbol" ? String(key) : key)),
      message: describe(issue, value),
    })),
  );
}

/** A {@link TypeValidationError} listing `issues` in its message (paths and problems, never values). */
export function validationError(
  what: string,
  issues: ValidationIssue[],
  options: { code?: string; cause?: unknown } = {},
): TypeValidationError {
  const list = issues.map((i) => `${i.path.join(".") || "(input)"} ${i.message}`).join("; ");
  return new TypeValidationError(`Invalid ${what}: ${list}`, { issues, ...options });
}
