/**
 * `sendSealed`, the half of a write that needs the secrets: its options checked, then sent by
 * `request/postbox.ts` (the JWT binding the envelope to the user's token, the multipart body, the
 * token's refresh).
 */
import type { ClientContext } from "./config.ts";
import { contractKey } from "./crypto/input-keys.ts";
import { ResealRequiredError } from "./errors.ts";
import { parseInput, validationError } from "./internal/checks.ts";
import { isReadableStream } from "./internal/fields.ts";
import { sendSealedUnchecked } from "./request/postbox.ts";
import { sendSealedOptionsSchema } from "./schemas.ts";
import type {
  ContractDetails,
  ProgressCallback,
  SealedFile,
  TokenLifecycleOptions,
  UserAccessToken,
  WriteResult,
} from "./types.ts";

/** Options of `sendSealed`. */
export interface SendSealedOptions extends TokenLifecycleOptions {
  /** The write contract (its private key signs the request). */
  contractDetails: ContractDetails;
  /** The user's token; refreshed once if digi.me responds with `pending` or `401 InvalidToken`. */
  userAccessToken: UserAccessToken;
  /** The postbox the user's write contract gave (`postboxId` at the redirect URI). */
  postboxId: string;
  /** What `seal` returned. A stream body can be sent once. */
  sealed: SealedFile;
  /** The file's name, sent as the multipart `filename`. */
  fileName: string;
  /** Cancels the send: the request, its retries and the refresh. */
  signal?: AbortSignal;
  /** Request body bytes sent so far, of the total when known. */
  onProgress?: ProgressCallback;
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
  const key = await contractKey(checked.contractDetails, options.contractDetails);
  return sendSealedUnchecked(context, { ...(checked as SendSealedOptions), sealed: options.sealed }, { key });
}
