/**
 * The checks of single fields, shared by the operations' schemas (`schemas.ts`) and the layers
 * below them: plain predicates (so that other modules, and the Worker, can reuse them), the field
 * schemas built on the kit in `checks.ts`, and the schemas of the shapes every call shares (a
 * token, a contract, a file descriptor).
 */
import { array, custom, isObject, number, object, optional, string } from "./checks.ts";

// --- Field checks (plain predicates, so that other modules can reuse them) -----------------------

/** `s` as a URL, or `undefined` when it is not an absolute URL. */
export function parseUrl(s: string): URL | undefined {
  try {
    return new URL(s);
  } catch {
    return undefined;
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
const CONTROL = /[\x00-\x1f\x7f]/;

/**
 * Whether `s` can stand as one segment of a URL path without changing the path: not empty, no
 * `/`, `\`, `?`, `#`, `%`, no `..`, no whitespace, control characters (C0, DEL) or lone surrogates.
 */
export function isPathSegment(s: string): boolean {
  return (
    s !== "" &&
    s !== "." &&
    !/[/\\?#%\s]|\.\./.test(s) &&
    !CONTROL.test(s) &&
    // A lone surrogate, which `encodeURIComponent` refuses to encode.
    s.isWellFormed()
  );
}

/** Whether `s` is an AES-CBC iv as digi.me's request JWT carries it: 32 lowercase hex characters. */
export function isIvHex(s: string): boolean {
  return /^[0-9a-f]{32}$/.test(s);
}

/**
 * Whether `s` can be a push's `accountId`, which travels as a header value: visible ASCII, inner
 * spaces allowed, not empty.
 */
export function isAccountId(s: string): boolean {
  return /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(s);
}

/** Whether `s` is usable as a multipart `filename`: not empty, no path separator or control characters. */
export function isFileName(s: string): boolean {
  return s !== "" && s.length <= 1024 && s !== "." && s !== ".." && !/[/\\]/.test(s) && !CONTROL.test(s);
}

/** Whether `s` is an absolute `http:` or `https:` URL without credentials. */
export function isHttpUrl(s: string): boolean {
  const url = parseUrl(s);
  return url !== undefined && /^https?:$/.test(url.protocol) && !url.username && !url.password;
}

/** Whether `s` can be an API root: an http(s) URL without credentials, query or fragment. */
function isHttpRoot(s: string): boolean {
  return isHttpUrl(s) && !/[?#]/.test(s);
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
    v instanceof ReadableStream ||
    (typeof v === "object" &&
      v !== null &&
      typeof (v as ReadableStream).getReader === "function" &&
      typeof (v as ReadableStream).pipeThrough === "function")
  );
}

// --- Field schemas ------------------------------------------------------------------------------

/** A string that is not empty. */
export const nonEmpty = () => string((s) => s.length > 0, "must not be empty");
/** A string usable as one URL path segment (see {@link isPathSegment}). */
export const pathSegment = () =>
  string(isPathSegment, "must be a URL path segment (no / \\ ? # % .. space or control)");
/** A string holding a PEM block (parsed when the key is imported). */
export const pem = () => string((s) => s.includes("-----BEGIN "), "must be a PEM block");
/** A function. */
export const fn = <T extends (...args: never[]) => unknown>() =>
  custom<T>((v) => typeof v === "function", "must be a function");
/** An `AbortSignal` (also from another realm). */
export const signal = () => custom<AbortSignal>(isAbortSignal, "must be an AbortSignal");
/** A multipart file name (see {@link isFileName}). */
export const fileName = () => string(isFileName, "must be a file name (no / \\ or controls)");
/** An optional API root (see {@link isHttpRoot}). */
export const httpRoot = () =>
  optional(string(isHttpRoot, "must be an http(s) URL without credentials, query or fragment"));
/** An optional number of at least 0. */
export const atLeastZero = () => optional(number((n) => n >= 0, "must be at least 0"));
/** One of `values` (strings). */
export const oneOf = <T extends string>(...values: T[]) =>
  custom<T>((v) => values.includes(v as T), `must be one of ${values.map((v) => `"${v}"`).join(", ")}`);

/** Whether `v` is an object that `JSON.stringify` turns into a JSON object (no cycle, no BigInt). */
function isJsonObject(v: unknown): v is Record<string, unknown> {
  try {
    return isObject(v) && JSON.stringify(v).startsWith("{");
  } catch {
    return false;
  }
}
/** An object that serializes to a JSON object. */
export const jsonObject = () => custom<Record<string, unknown>>(isJsonObject, "must be a JSON object");
/** An optional boolean. */
export const bool = () => optional(custom<boolean>((v) => typeof v === "boolean", "must be a boolean"));
/** `writeReference`: `true` or a non-empty string, optional. */
export const writeReference = () =>
  optional(
    custom<true | string>(
      (v) => v === true || (typeof v === "string" && v !== ""),
      "must be true or a non-empty string",
    ),
  );

/** A `TokenValue`. */
export const tokenValue = object({ value: nonEmpty(), expiry: number() });

/** A `UserAccessToken`. */
export const userAccessTokenSchema = object({
  accessToken: tokenValue,
  refreshToken: tokenValue,
  user: optional(object({ id: string() })),
  consentid: optional(string()),
});

/** `contractDetails`. */
export const contractDetailsSchema = object({
  contractId: pathSegment(),
  privateKey: pem(),
  redirectUri: optional(string((s) => parseUrl(s) !== undefined, "must be an absolute URL")),
});

/**
 * A file descriptor. Other members are allowed, though the parsed copy drops them: operations
 * encrypt the caller's own object, which keeps every member in its order.
 */
export const fileDescriptorSchema = object({
  mimeType: nonEmpty(),
  accounts: array(object({ accountId: nonEmpty() })),
  reference: optional(array(string())),
  tags: optional(array(string())),
});

/** The token hooks `refresh` and `onTokenRefreshed`. */
export const lifecycle = {
  refresh: optional(fn()),
  onTokenRefreshed: optional(fn()),
};

/** The members every call with the user's token takes (`pushData`, `readAccounts`, `deleteUser`). */
export const authorized = () => ({
  contractDetails: contractDetailsSchema,
  userAccessToken: userAccessTokenSchema,
  signal: optional(signal()),
  onAccessTokenChange: optional(fn()),
  ...lifecycle,
});
