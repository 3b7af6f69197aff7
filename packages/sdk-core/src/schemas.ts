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

/**
 * Whether `s` can stand as one segment of a URL path without changing the path: not empty, no
 * `/`, `\`, `?`, `#`, `%`, no `..`, no whitespace or control characters.
 */
export function isPathSegment(s: string): boolean {
  return s.length > 0 && s !== "." && !s.includes("..") && !/[/\\?#%\s]/.test(s) && !hasControl(s);
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

const nonEmpty = () => z.string().check(z.minLength(1));
const pathSegment = () =>
  z
    .string()
    .check(
      z.refine(
        isPathSegment,
        "must be a single URL path segment: not empty, no '/', '\\', '?', '#', '%', '..', whitespace or control characters",
      ),
    );
const pem = () =>
  z.string().check(z.refine((s) => s.includes("-----BEGIN "), "must be a PEM block (-----BEGIN ...)"));
const fn = <T extends (...args: never[]) => unknown>() => z.custom<T>(isFunction, "must be a function");
const signal = () => z.custom<AbortSignal>(isAbortSignal, "must be an AbortSignal");

const tokenValue = z.object({ value: nonEmpty(), expiry: z.number() });

/** A `UserAccessToken`. */
export const userAccessTokenSchema = z.object({ accessToken: tokenValue, refreshToken: tokenValue });

/** `contractDetails`. */
export const contractDetailsSchema = z.object({
  contractId: pathSegment(),
  privateKey: pem(),
  redirectUri: z.string().check(z.refine(isAbsoluteUrl, "must be an absolute URL")),
});

/** A file descriptor; other members are allowed and kept. */
export const fileDescriptorSchema = z.looseObject({
  mimeType: nonEmpty(),
  accounts: z.array(z.looseObject({ accountId: nonEmpty() })),
  reference: z.optional(z.array(z.string())),
  tags: z.optional(z.array(z.string())),
});

const fileName = () =>
  z
    .string()
    .check(z.refine(isFileName, "must be a file name: not empty, no '/', '\\' or control characters"));

const sealedBody = z.custom<ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer>>(
  (v) => v instanceof Uint8Array || isReadableStream(v),
  "must be a Uint8Array or a ReadableStream",
);

/** A `SealedFile`, shapes checked as far as they can be without the postbox key. */
export const sealedFileSchema = z.object({
  iv: z.string().check(z.refine((s) => /^[0-9a-f]{32}$/.test(s), "must be 32 lowercase hex characters")),
  symmetricalKey: z
    .string()
    .check(z.refine((s) => s.length > 0 && BASE64.test(s), "must be standard padded base64")),
  metadata: z
    .string()
    .check(
      z.refine(
        (s) => s.length > 0 && BASE64.test(s) && base64Length(s) % 16 === 0,
        "must be standard padded base64 of a whole number of AES blocks",
      ),
    ),
  body: sealedBody.check(
    z.refine(
      (b) => !(b instanceof Uint8Array) || (b.length > 0 && b.length % 16 === 0),
      "must be a whole number of AES blocks",
    ),
  ),
  size: z.optional(
    z
      .number()
      .check(
        z.refine(
          (n) => Number.isSafeInteger(n) && n > 0 && n % 16 === 0,
          "must be a positive multiple of 16",
        ),
      ),
  ),
});

// --- Operation schemas --------------------------------------------------------------------------

/** `init` options. */
export const configSchema = z.object({
  applicationId: pathSegment(),
  baseUrl: z.optional(
    z
      .string()
      .check(z.refine(isHttpRoot, "must be an absolute http(s) URL without credentials, query or fragment")),
  ),
  onboardUrl: z.optional(
    z
      .string()
      .check(z.refine(isHttpRoot, "must be an absolute http(s) URL without credentials, query or fragment")),
  ),
  fetch: z.optional(fn<typeof fetch>()),
  trustedKeyOrigins: z.optional(
    z.array(
      z
        .string()
        .check(
          z.refine(
            (s) => isHttpUrl(s) && new URL(s).origin !== "null" && /^[a-z]+:\/\/[^/?#]+\/?$/i.test(s),
            "must be an origin: scheme, host and port only, e.g. https://api.digi.me",
          ),
        ),
    ),
  ),
  retry: z.optional(
    z.union([
      z.literal(false),
      z.object({
        limit: z.optional(z.int().check(z.minimum(0), z.maximum(10))),
        baseDelayMs: z.optional(z.number().check(z.minimum(0))),
        maxDelayMs: z.optional(z.number().check(z.minimum(0))),
        maxRetryAfterMs: z.optional(z.number().check(z.minimum(0))),
      }),
    ]),
  ),
  timeoutMs: z.optional(z.number().check(z.positive())),
  streamUploads: z.optional(z.boolean()),
});

/** `getAuthorizeUrl` options. */
export const authorizeOptionsSchema = z.object({
  contractDetails: contractDetailsSchema,
  callback: z.string().check(z.refine(isHttpUrl, "must be an absolute http(s) URL without credentials")),
  state: z.optional(z.string()),
  serviceId: z.optional(z.union([z.number(), nonEmpty()])),
  userAccessToken: z.optional(userAccessTokenSchema),
  sessionOptions: z.optional(z.record(z.string(), z.unknown())),
  signal: z.optional(signal()),
});

/** `exchangeCodeForToken` options. */
export const exchangeOptionsSchema = z.object({
  contractDetails: contractDetailsSchema,
  authorizationCode: nonEmpty(),
  codeVerifier: z
    .string()
    .check(
      z.refine(
        (s) => /^[A-Za-z0-9\-._~]{43,128}$/.test(s),
        "must be a PKCE code verifier (43 to 128 unreserved characters)",
      ),
    ),
  signal: z.optional(signal()),
});

/** `refreshToken` options. */
export const refreshOptionsSchema = z.object({
  contractDetails: contractDetailsSchema,
  userAccessToken: userAccessTokenSchema,
  signal: z.optional(signal()),
});

const lifecycle = {
  refresh: z.optional(fn()),
  onTokenRefreshed: z.optional(fn()),
};

/** `seal` options (`fileData` is checked by the file-data normaliser). */
export const sealOptionsSchema = z.object({
  publicKey: pem(),
  fileData: z.unknown(),
  fileDescriptor: fileDescriptorSchema,
  onProgress: z.optional(fn()),
});

/** `sendSealed` options. */
export const sendSealedOptionsSchema = z.object({
  contractDetails: contractDetailsSchema,
  userAccessToken: userAccessTokenSchema,
  postboxId: pathSegment(),
  sealed: sealedFileSchema,
  fileName: fileName(),
  signal: z.optional(signal()),
  onProgress: z.optional(fn()),
  ...lifecycle,
});

/** `write` options (`data.fileData` is checked by the file-data normaliser). */
export const writeOptionsSchema = z.object({
  contractDetails: contractDetailsSchema,
  userAccessToken: userAccessTokenSchema,
  postboxId: pathSegment(),
  publicKey: pem(),
  data: z.object({ fileData: z.unknown(), fileName: fileName(), fileDescriptor: fileDescriptorSchema }),
  signal: z.optional(signal()),
  onProgress: z.optional(fn()),
  ...lifecycle,
});

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

// Messages are made here from the issue's code, never from the input: zod/mini's own are generic,
// and the value may be a secret.
function describe(issue: z.core.$ZodIssue, root: unknown): string {
  switch (issue.code) {
    case "invalid_type": {
      const actual = valueAt(root, issue.path);
      return actual === undefined ? "is required" : `must be ${issue.expected}, not ${typeName(actual)}`;
    }
    case "too_small":
      return issue.origin === "string" && Number(issue.minimum) === 1
        ? "must not be empty"
        : `must be at least ${String(issue.minimum)}`;
    case "too_big":
      return `must be at most ${String(issue.maximum)}`;
    case "invalid_union":
    case "invalid_value":
      return "is not one of the accepted forms";
    case "custom":
      return issue.message;
    default:
      return "is invalid";
  }
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
