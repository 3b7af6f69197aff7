/**
 * Input schemas of every public operation, on the field schemas of `internal/fields.ts` and the
 * kit of `internal/checks.ts` (whose `parseInput` turns a failure into a `TypeValidationError`
 * naming each field without ever echoing its value).
 */
import { isCodeVerifier } from "./crypto/pkce.ts";
import { base64ByteLength } from "./internal/base64.ts";
import { array, custom, isObject, number, object, optional, string } from "./internal/checks.ts";
import {
  atLeastZero,
  authorized,
  bool,
  contractDetailsSchema,
  fileDescriptorSchema,
  fileName,
  fn,
  httpRoot,
  isAccountId,
  isHttpUrl,
  isIvHex,
  isReadableStream,
  jsonObject,
  lifecycle,
  nonEmpty,
  oneOf,
  pathSegment,
  pem,
  signal,
  userAccessTokenSchema,
  writeReference,
} from "./internal/fields.ts";

/** Whether `n` bytes are a non-empty whole number of AES blocks. */
const isAesBlocks = (n: number) => n > 0 && n % 16 === 0;

/** A `SealedFile`, shapes checked as far as they can be without the postbox key. */
export const sealedFileSchema = () =>
  object({
    iv: string(isIvHex, "must be 32 lowercase hex characters"),
    symmetricalKey: string((s) => (base64ByteLength(s) ?? 0) > 0, "must be standard padded base64"),
    metadata: string(
      (s) => isAesBlocks(base64ByteLength(s) ?? 0),
      "must be standard padded base64 of a whole number of AES blocks",
    ),
    body: custom<ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer>>(
      (v) => isReadableStream(v) || (v instanceof Uint8Array && isAesBlocks(v.length)),
      "must be a ReadableStream or a Uint8Array of a whole number of AES blocks",
    ),
    size: optional(
      number((n) => Number.isSafeInteger(n) && isAesBlocks(n), "must be a positive multiple of 16"),
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
    accountId: string(isAccountId, "must be visible ASCII, not empty"),
  });

/** Options of `readAccounts` and `deleteUser`. */
export const authorizedOptionsSchema = () => object(authorized());
