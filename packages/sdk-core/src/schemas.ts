/**
 * Input schemas of every public operation (on the small kit in internal/checks.ts), and
 * {@link parseInput}, which turns a failure into a {@link TypeValidationError} naming each field
 * without ever echoing its value.
 */
import { isCodeVerifier } from "./crypto/pkce.js";
import { TypeValidationError, type ValidationIssue } from "./errors.js";
import {
  array,
  check,
  custom,
  type Infer,
  isObject,
  number,
  object,
  optional,
  type Schema,
  string,
} from "./internal/checks.js";

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

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Length in bytes of the standard, padded base64 `s` (assumed valid). */
function base64Length(s: string): number {
  return (s.length / 4) * 3 - (s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0);
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

const nonEmpty = () => string((s) => s.length > 0, "must not be empty");
const pathSegment = () =>
  string(isPathSegment, "must be a URL path segment (no / \\ ? # % .. space or control)");
const pem = () => string((s) => s.includes("-----BEGIN "), "must be a PEM block");
const fn = <T extends (...args: never[]) => unknown>() =>
  custom<T>((v) => typeof v === "function", "must be a function");
const signal = () => custom<AbortSignal>(isAbortSignal, "must be an AbortSignal");
const fileName = () => string(isFileName, "must be a file name (no / \\ or controls)");
const httpRoot = () =>
  optional(string(isHttpRoot, "must be an http(s) URL without credentials, query or fragment"));
const atLeastZero = () => optional(number((n) => n >= 0, "must be at least 0"));
/** One of `values` (strings). */
const oneOf = <T extends string>(...values: T[]) =>
  custom<T>((v) => values.includes(v as T), `must be one of ${values.map((v) => `"${v}"`).join(", ")}`);

/** Whether `v` is an object that `JSON.stringify` turns into a JSON object (no cycle, no BigInt). */
function isJsonObject(v: unknown): v is Record<string, unknown> {
  try {
    return isObject(v) && JSON.stringify(v).startsWith("{");
  } catch {
    return false;
  }
}
const jsonObject = () => custom<Record<string, unknown>>(isJsonObject, "must be a JSON object");
const bool = () => optional(custom<boolean>((v) => typeof v === "boolean", "must be a boolean"));
const writeReference = () =>
  optional(
    custom<true | string>(
      (v) => v === true || (typeof v === "string" && v !== ""),
      "must be true or a non-empty string",
    ),
  );

const tokenValue = object({ value: nonEmpty(), expiry: number() });

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

const lifecycle = {
  refresh: optional(fn()),
  onTokenRefreshed: optional(fn()),
};

/** What every call with the user's token takes (`pushData`, `readAccounts`, `deleteUser`). */
const authorized = () => ({
  contractDetails: contractDetailsSchema,
  userAccessToken: userAccessTokenSchema,
  signal: optional(signal()),
  onAccessTokenChange: optional(fn()),
  ...lifecycle,
});

/** A `SealedFile`, shapes checked as far as they can be without the postbox key. */
export const sealedFileSchema = () =>
  object({
    iv: string((s) => /^[0-9a-f]{32}$/.test(s), "must be 32 lowercase hex characters"),
    symmetricalKey: string((s) => s.length > 0 && BASE64.test(s), "must be standard padded base64"),
    metadata: string(
      (s) => s.length > 0 && BASE64.test(s) && base64Length(s) % 16 === 0,
      "must be standard padded base64 of a whole number of AES blocks",
    ),
    body: custom<ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer>>(
      (v) => isReadableStream(v) || (v instanceof Uint8Array && v.length > 0 && v.length % 16 === 0),
      "must be a ReadableStream or a Uint8Array of a whole number of AES blocks",
    ),
    size: optional(
      number((n) => Number.isSafeInteger(n) && n > 0 && n % 16 === 0, "must be a positive multiple of 16"),
    ),
  });

// --- Operation schemas (`fileData` is checked by the file-data normaliser, not here) -------------

/** `init` options. `retry: false` is taken out before this check (see `resolveConfig`). */
export const configSchema = () =>
  object({
    applicationId: pathSegment(),
    baseUrl: httpRoot(),
    onboardUrl: httpRoot(),
    fetch: optional(fn<typeof fetch>()),
    trustedKeyOrigins: optional(
      array(
        string(
          (s) => isHttpUrl(s) && /^[a-z]+:\/\/[^/?#]+\/?$/i.test(s),
          "must be an origin, e.g. https://api.digi.me",
        ),
      ),
    ),
    retry: optional(
      object({
        limit: optional(
          number((n) => Number.isInteger(n) && n >= 0 && n <= 10, "must be an integer from 0 to 10"),
        ),
        baseDelayMs: atLeastZero(),
        maxDelayMs: atLeastZero(),
        maxRetryAfterMs: atLeastZero(),
        resendWhenUnknown: bool(),
      }),
    ),
    timeoutMs: optional(number((n) => n > 0, "must be positive")),
    streamUploads: bool(),
  });

/** `getAuthorizeUrl` options. */
export const authorizeOptionsSchema = () =>
  object({
    contractDetails: contractDetailsSchema,
    callback: string(isHttpUrl, "must be an absolute http(s) URL without credentials"),
    // Required for the sign-in of official SDK 10 on (no `redirectUri`): see `getAuthorizeUrl`.
    state: optional(string()),
    sourceType: optional(oneOf("pull", "push")),
    sampleData: optional(object({ dataSet: optional(nonEmpty()), autoOnboard: bool() })),
    locale: optional(nonEmpty()),
    includeSampleDataOnlySources: bool(),
    triggerQuery: bool(),
    sourcesScope: optional(jsonObject()),
    serviceId: optional(
      custom<string | number>(
        (v) => typeof v === "number" || (typeof v === "string" && v !== ""),
        "must be a number or a non-empty string",
      ),
    ),
    userAccessToken: optional(userAccessTokenSchema),
    sessionOptions: optional(custom<Record<string, unknown>>(isObject, "must be an object")),
    signal: optional(signal()),
  });

/** `exchangeCodeForToken` options. */
export const exchangeOptionsSchema = () =>
  object({
    contractDetails: contractDetailsSchema,
    authorizationCode: nonEmpty(),
    codeVerifier: string(isCodeVerifier, "must be a PKCE code verifier (43 to 128 unreserved characters)"),
    signal: optional(signal()),
  });

/** `refreshToken` options. */
export const refreshOptionsSchema = () =>
  object({
    contractDetails: contractDetailsSchema,
    userAccessToken: userAccessTokenSchema,
    signal: optional(signal()),
  });

/** `seal` options. */
export const sealOptionsSchema = () =>
  object({
    publicKey: pem(),
    fileDescriptor: fileDescriptorSchema,
    onProgress: optional(fn()),
    writeReference: writeReference(),
  });

/** `sendSealed` options. */
export const sendSealedOptionsSchema = () =>
  object({
    contractDetails: contractDetailsSchema,
    userAccessToken: userAccessTokenSchema,
    postboxId: pathSegment(),
    sealed: sealedFileSchema(),
    fileName: fileName(),
    signal: optional(signal()),
    onProgress: optional(fn()),
    ...lifecycle,
  });

/** `write` options. */
export const writeOptionsSchema = () =>
  object({
    contractDetails: contractDetailsSchema,
    userAccessToken: userAccessTokenSchema,
    postboxId: pathSegment(),
    publicKey: pem(),
    data: object({ fileName: fileName(), fileDescriptor: fileDescriptorSchema }),
    signal: optional(signal()),
    onProgress: optional(fn()),
    writeReference: writeReference(),
    ...lifecycle,
  });

/** `pushData` options of `type: "library"` (`fileData` is checked by the file-data normaliser). */
export const pushLibraryOptionsSchema = () =>
  object({
    ...authorized(),
    data: object({ fileName: optional(fileName()), fileDescriptor: fileDescriptorSchema }),
    onProgress: optional(fn()),
  });

/** `pushData` options of `type: "provider"`. */
export const pushProviderOptionsSchema = () =>
  object({
    ...authorized(),
    data: jsonObject(),
    standard: oneOf("fhir"),
    version: oneOf("stu3", "3.0.2"),
    // Sent as a header value: visible ASCII, inner spaces allowed.
    accountId: string(
      (s) => /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(s),
      "must be visible ASCII, not empty",
    ),
  });

/** Options of `readAccounts` and `deleteUser`. */
export const authorizedOptionsSchema = () => object(authorized());

// --- parseInput ----------------------------------------------------------------------------------

/**
 * Checks `value` against `schema` and answers the checked value.
 * @param what Names the input in the error message, e.g. `"write options"`.
 * @throws TypeValidationError whose `issues` hold each field's path and what is wrong with it.
 */
export function parseInput<S extends Schema<unknown>>(schema: S, value: unknown, what: string): Infer<S> {
  const result = check(schema, value);
  if (result.ok) return result.value as Infer<S>;
  throw validationError(what, result.issues);
}

/** Whether `value` passes `schema`. */
export const conforms = (schema: Schema<unknown>, value: unknown): boolean => check(schema, value).ok;

/** A {@link TypeValidationError} listing `issues` in its message (paths and problems, never values). */
export function validationError(
  what: string,
  issues: ValidationIssue[],
  options: { code?: string; cause?: unknown } = {},
): TypeValidationError {
  const list = issues.map((i) => `${i.path.join(".") || "(input)"} ${i.message}`).join("; ");
  return new TypeValidationError(`Invalid ${what}: ${list}`, { issues, ...options });
}
