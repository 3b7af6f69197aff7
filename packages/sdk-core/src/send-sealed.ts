/**
 * The half of a write that needs the secrets: signs the JWT that binds a sealed file's envelope
 * (`iv`, `metadata`, `symmetrical_key`) to the user's access token, and posts the encrypted body
 * to the postbox. When digi.me answers `pending` or `401 InvalidToken`, refreshes the token once
 * and sends once more, if the body can be sent again.
 */
import type { ClientContext } from "./config.js";
import { ResealRequiredError } from "./errors.js";
import { collectBlob, fileChunks } from "./internal/chunks.js";
import { contractKey } from "./internal/input-keys.js";
import { multipartBody } from "./internal/multipart.js";
import { safeProgress } from "./internal/progress.js";
import { invalidResponse } from "./internal/response-token.js";
import { runtimeSupport } from "./internal/runtime.js";
import { bearer, withToken } from "./request/authorized.js";
import { type DeliveryTracker, sendRequest } from "./request/send.js";
import { isReadableStream, parseInput, sendSealedOptionsSchema, validationError } from "./schemas.js";
import type {
  ContractDetails,
  ProgressCallback,
  SealedFile,
  TokenLifecycleOptions,
  UserAccessToken,
  WriteResult,
} from "./types.js";

/** Options of `sendSealed`. */
export interface SendSealedOptions extends TokenLifecycleOptions {
  /** The write contract (its private key signs the request). */
  contractDetails: ContractDetails;
  /** The user's token; refreshed once if digi.me answers `pending` or `401 InvalidToken`. */
  userAccessToken: UserAccessToken;
  /** The postbox the user's write contract gave (`postboxId` at the redirect URI). */
  postboxId: string;
  /** What `seal` answered. A stream body can be sent once. */
  sealed: SealedFile;
  /** The file's name, sent as the multipart `filename`. */
  fileName: string;
  /** Cancels the send: the request, its retries and the refresh. */
  signal?: AbortSignal;
  /** Request body bytes sent so far, of the total when known. */
  onProgress?: ProgressCallback;
}

/** Makes a fresh sealed file when the previous body was spent (only `write` can: it has the input). */
export type Resealer = () => Promise<SealedFile>;

type Body = Uint8Array<ArrayBuffer> | Blob | ReadableStream<Uint8Array>;

function writeResult(data: unknown): { status: "delivered" | "pending"; expires: number } {
  const { status, expires } = (data ?? {}) as { status?: unknown; expires?: unknown };
  if ((status !== "delivered" && status !== "pending") || typeof expires !== "number") {
    throw invalidResponse("write", 'expected { status: "delivered" | "pending", expires: number }');
  }
  return { status, expires };
}

/**
 * `sendSealed` on checked options; `write` calls it with a resealer when its input can be read
 * again, so that every request after the first is sealed afresh (a spent stream included, instead
 * of refused), and with the contract's key.
 */
export async function sendSealedChecked(
  context: ClientContext,
  options: SendSealedOptions,
  reseal?: Resealer,
  contractPrivateKey?: CryptoKey,
): Promise<WriteResult> {
  const { contractDetails, postboxId, fileName, signal } = options;
  const onProgress = safeProgress(options.onProgress);
  const { config } = context;
  // `write` passes the key it already imported; the cache would answer it too, after a SHA-256.
  const key =
    contractPrivateKey ?? (await contractKey(contractDetails.privateKey, ["contractDetails", "privateKey"]));
  const stream = config.streamUploads ?? (runtimeSupport().requestStreams && !runtimeSupport().browser);
  const url = `${config.baseUrl}permission-access/postbox/${encodeURIComponent(postboxId)}`;

  let sealed = options.sealed;
  let body: Body = sealed.body;
  let spent = false; // `body` is a stream that a request has taken
  let used = false; // `sealed` went out with a request
  let lastSize: number | undefined;
  let lastStreamed = false;
  // Shared by every request of this write: a NetworkError says `"not-sent"` only when none of
  // them handed a body byte to the network (an earlier request may have stored the file).
  const delivery: DeliveryTracker = { maybeSent: false };

  const canResend = () => !spent || reseal !== undefined;

  // The body for the next attempt. With a resealer (`write`), every request after the first gets
  // a fresh envelope, as the wire format says; without one (`sendSealed`), the same bytes or Blob
  // go again with the same envelope. A spent stream is never sent again: `canResend` stops
  // both the retries and the resend after a refresh.
  const nextBody = async (touch: () => void): Promise<Body> => {
    if (used && reseal !== undefined) {
      sealed = await reseal();
      body = sealed.body;
      spent = false;
    }
    used = true;
    if (!stream && !(body instanceof Uint8Array) && !(body instanceof Blob)) {
      // No streamed uploads here: the ciphertext becomes a Blob, which can also be sent again.
      body = await collectBlob(fileChunks(body), touch);
    }
    if (!(body instanceof Uint8Array) && !(body instanceof Blob)) spent = true;
    return body;
  };

  const post = async (token: UserAccessToken) => {
    const response = await sendRequest(config, {
      what: "write",
      signal,
      replayable: canResend,
      delivery,
      secrets: [token.accessToken.value, token.refreshToken.value],
      build: async ({ touch }) => {
        const file = await nextBody(touch);
        const multipart = await multipartBody({
          fileName,
          file,
          fileSize: sealed.size,
          stream,
          touch,
          onProgress,
        });
        lastSize = multipart.length;
        lastStreamed = multipart.streamed;
        const headers: Record<string, string> = {
          Accept: "application/json",
          Authorization: await bearer(context, contractDetails, key, token, {
            iv: sealed.iv,
            metadata: sealed.metadata,
            symmetrical_key: sealed.symmetricalKey,
          }),
          "Content-Type": multipart.contentType,
        };
        if (multipart.streamed && multipart.length !== undefined)
          headers["Content-Length"] = String(multipart.length);
        return { ...multipart, url, method: "POST", headers };
      },
    });
    // A Blob body is sent by the runtime in one go: its progress is known only at the end.
    if (!lastStreamed && lastSize !== undefined) onProgress?.(lastSize, lastSize);
    return writeResult(response.data);
  };

  return withToken(context, options, post, canResend, ResealRequiredError);
}

/**
 * Sends a file sealed by `seal` to a postbox: signs the request JWT (`access_token`, `client_id`,
 * `iv`, `metadata`, `symmetrical_key`, `nonce`, `timestamp`) and posts the body as multipart
 * `file`. On `pending` or `401 InvalidToken` it refreshes the token once and sends once more;
 * a stream body cannot be sent twice, so then it throws {@link ResealRequiredError} (code
 * `RESEAL_REQUIRED`), which carries the refreshed token. Any other error after the refresh
 * carries it too, as `error.userAccessToken`: keep it. Retries (429, 502, 503, 504, network)
 * happen only for a body that can be sent again (bytes).
 * @throws TypeValidationError before any request for bad options (code `BODY_CONSUMED` for a
 *   stream body that is already locked); ServerError, NetworkError, TokenVerificationError,
 *   ResealRequiredError otherwise.
 */
export async function sendSealed(context: ClientContext, options: SendSealedOptions): Promise<WriteResult> {
  const checked = parseInput(sendSealedOptionsSchema(), options, "sendSealed options");
  const { body, size } = options.sealed;
  if (isReadableStream(body) && body.locked) {
    throw validationError(
      "sendSealed options",
      [{ path: ["sealed", "body"], message: "is a stream that was already read" }],
      {
        code: "BODY_CONSUMED",
      },
    );
  }
  if (body instanceof Uint8Array && size !== undefined && size !== body.length) {
    throw validationError("sendSealed options", [
      { path: ["sealed", "size"], message: "does not match the body's length" },
    ]);
  }
  return sendSealedChecked(context, { ...(checked as SendSealedOptions), sealed: options.sealed });
}
