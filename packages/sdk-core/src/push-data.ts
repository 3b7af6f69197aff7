/**
 * `pushData`, digi.me's write from official SDK 11 on: a file imported into the user's library as
 * it is (`type: "library"`, `POST permission-access/import`, described by a signed
 * `FileDescriptor` header), or a FHIR resource pushed to a health provider account
 * (`type: "provider"`, `POST permission-access/import/h:accountId/fhir/{version}`).
 */
import type { ClientContext } from "./config.ts";
import { contractKey } from "./crypto/input-keys.ts";
import { signJson } from "./crypto/jws.ts";
import { parseInput, validationError } from "./internal/checks.ts";
import { normalizeFileData } from "./internal/file-data.ts";
import { safeProgress } from "./internal/progress.ts";
import { streamsUploads } from "./internal/runtime.ts";
import { type AuthorizedOptions, sendAuthorized } from "./request/authorized.ts";
import { rawBody } from "./request/raw-body.ts";
import type { DeliveryTracker } from "./request/send.ts";
import { pushLibraryOptionsSchema, pushProviderOptionsSchema } from "./schemas.ts";
import type { FileData, FileDescriptor, ProgressCallback, UserAccessToken } from "./types.ts";

/** Options of `pushData` into the user's library (`type: "library"`). */
export interface PushLibraryOptions extends AuthorizedOptions {
  /** Into the user's library. */
  type: "library";
  /**
   * The file: its content (every form `write` takes; streams are sent as they are read, never
   * held whole), its descriptor (signed into the `FileDescriptor` header) and, optionally, a name,
   * which this API does not carry (accepted, as by the official SDK, and ignored).
   */
  data: { fileData: FileData; fileName?: string; fileDescriptor: FileDescriptor };
  /** Request body bytes sent so far, of the total when known. */
  onProgress?: ProgressCallback;
}

/** Options of `pushData` to a health provider account (`type: "provider"`). */
export interface PushProviderOptions extends AuthorizedOptions {
  /** To a health provider account of the user. */
  type: "provider";
  /** The FHIR resource, usually a `Bundle`: a JSON object. */
  data: Record<string, unknown>;
  /** The standard: `"fhir"`. */
  standard: "fhir";
  /** The FHIR version: `"stu3"` or `"3.0.2"`. */
  version: "stu3" | "3.0.2";
  /** A `PUSH` account of the user (its `id` from `readAccounts`). */
  accountId: string;
}

/** Options of `pushData`: `type` says where the data goes. */
export type PushDataOptions = PushLibraryOptions | PushProviderOptions;

/** What `pushData` returns: the token that last worked (the official SDK returns nothing). */
export interface PushDataResult {
  /** The token passed in, or the refreshed one. Keep it. */
  userAccessToken: UserAccessToken;
}

/**
 * Pushes data into the user's library (`type: "library"`: the file's bytes over TLS, as they are)
 * or to one of the user's health provider accounts (`type: "provider"`: a FHIR resource).
 * When digi.me responds with `401 InvalidToken` (or a bare 401), the token is refreshed once (with
 * `refresh` when given), `onTokenRefreshed` and `onAccessTokenChange` are called with the new
 * one, and the data is sent again: bytes, Blobs and JSON are; a stream that already went out
 * cannot be, so then the call ends with {@link DataRequiredError} (code `DATA_REQUIRED`), which
 * carries the new token. Any other error after a refresh carries it too (`error.userAccessToken`).
 * Retries (network, 429, 502, 503, 504, `Retry-After`) as for `write`; a NetworkError says in
 * `delivery` whether the data may have reached digi.me.
 * @throws TypeValidationError before any request for bad options; ServerError, NetworkError,
 *   TokenVerificationError, DataRequiredError otherwise.
 */
export async function pushData(context: ClientContext, options: PushDataOptions): Promise<PushDataResult> {
  const type = (options as { type?: unknown } | null)?.type;
  const what = "pushData options";
  const { config } = context;
  // Shared by every request of the push (see `NetworkError.delivery`).
  const delivery: DeliveryTracker = { maybeSent: false };
  if (type === "provider") {
    const checked = parseInput(pushProviderOptionsSchema(), options, what) as PushProviderOptions;
    const body = JSON.stringify(checked.data);
    const { userAccessToken } = await sendAuthorized(
      context,
      checked,
      {
        what: "pushData",
        method: "POST",
        url: `${config.baseUrl}permission-access/import/h:accountId/fhir/${checked.version}`,
        headers: {
          Accept: "application/json",
          "Content-Type": "application/json",
          accountId: checked.accountId,
        },
        body: async () => ({ body }),
        delivery,
        anyBody: true,
      },
      options.contractDetails,
    );
    return { userAccessToken };
  }
  if (type !== "library") {
    throw validationError(what, [{ path: ["type"], message: 'must be "library" or "provider"' }]);
  }
  const checked = parseInput(pushLibraryOptionsSchema(), options, what) as PushLibraryOptions;
  // The caller's own objects, not the parsed copies: the file as it is, and every member of the
  // descriptor, in its order.
  const { fileData, fileDescriptor } = (options as PushLibraryOptions).data;
  const source = normalizeFileData(fileData, ["data", "fileData"]);
  const key = await contractKey(checked.contractDetails, options.contractDetails);
  const signedDescriptor = await signJson(JSON.stringify({ metadata: fileDescriptor }), key);
  const stream = streamsUploads(config.streamUploads);
  const bodies = rawBody(source, stream, safeProgress(checked.onProgress), fileData);
  const { userAccessToken } = await sendAuthorized(
    context,
    checked,
    {
      what: "pushData",
      method: "POST",
      url: `${config.baseUrl}permission-access/import`,
      headers: { "Content-Type": "application/octet-stream", FileDescriptor: signedDescriptor },
      body: bodies.next,
      replayable: bodies.canResend,
      delivery,
      anyBody: true,
    },
    options.contractDetails,
  );
  bodies.sent();
  return { userAccessToken };
}
