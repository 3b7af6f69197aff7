/** A whole write: `seal` the file, then `sendSealed` it. */
import type { ClientContext } from "./config.ts";
import { contractKey, postboxKey } from "./crypto/input-keys.ts";
import { markDescriptor, sealSource } from "./crypto/seal-source.ts";
import { parseInput } from "./internal/checks.ts";
import { normalizeFileData } from "./internal/file-data.ts";
import { sendSealedUnchecked } from "./request/postbox.ts";
import { writeOptionsSchema } from "./schemas.ts";
import type {
  ContractDetails,
  FileData,
  FileDescriptor,
  ProgressCallback,
  TokenLifecycleOptions,
  UserAccessToken,
  WriteResult,
} from "./types.ts";

/** Options of `write`. */
export interface WriteOptions extends TokenLifecycleOptions {
  /** The write contract (its private key signs the request). */
  contractDetails: ContractDetails;
  /** The user's token; refreshed once if digi.me responds with `pending` or `401 InvalidToken`. */
  userAccessToken: UserAccessToken;
  /** The postbox the user's write contract gave (`postboxId` at the redirect URI). */
  postboxId: string;
  /** The postbox's RSA public key, PEM (`publicKey` at the redirect URI). */
  publicKey: string;
  /** The file. */
  data: { fileData: FileData; fileName: string; fileDescriptor: FileDescriptor };
  /** Cancels the write: the request, its retries and the refresh. */
  signal?: AbortSignal;
  /** Request body bytes sent so far, of the total when known. */
  onProgress?: ProgressCallback;
  /**
   * Marks the write in the library: adds a marker to the descriptor's `reference` (a copy; yours is
   * not changed), the same in every request of this write. `true`: a new random marker (`write:`
   * and 24 letters or digits), returned as `WriteResult.writeReference`; or your own string, which
   * you then know even when the write fails. digi.me has no idempotency key: after a lost answer
   * (`NetworkError` with `delivery: "unknown"`), copies of the file in the library that carry the
   * marker are this write's. Off by default.
   */
  writeReference?: true | string;
}

/**
 * Writes a file into the user's library: seals it for the postbox (a fresh envelope) and sends it
 * (see `sendSealed`). Bytes and Blobs can be read again, so after a token refresh or a retryable
 * failure the file is sealed afresh and sent again; a stream or async iterable cannot, so then
 * the write ends with {@link ResealRequiredError} (code `RESEAL_REQUIRED`, with the refreshed
 * token) instead of sending an empty body. Any other error after a refresh carries the refreshed
 * token as `error.userAccessToken`: keep it, the one passed in may be spent.
 * @throws TypeValidationError before any request for bad options; ServerError, NetworkError,
 *   TokenVerificationError, ResealRequiredError otherwise.
 */
export async function write(context: ClientContext, options: WriteOptions): Promise<WriteResult> {
  const checked = parseInput(writeOptionsSchema(), options, "write options");
  const source = normalizeFileData(options.data.fileData, ["data", "fileData"]);
  // The contract's key signs only once the file is sealed: bytes are sealed while it is looked up
  // (at once when this `contractDetails` object was seen before, else a SHA-256); a stream is not
  // touched before both keys are in. A failure is thrown before any request either way.
  const signingKey = contractKey(checked.contractDetails, options.contractDetails);
  signingKey.catch(() => {});
  const publicKey = await postboxKey(checked.publicKey, ["publicKey"]);
  if (source.kind !== "bytes") await signingKey;
  // The caller's descriptor object, not the parsed copy: every member it has is kept, in its order.
  const [descriptor, marker] = markDescriptor(options.data.fileDescriptor, checked.writeReference);
  const sealOnce = () => sealSource(publicKey, source, descriptor);
  const sealed = await sealOnce();
  const { data, publicKey: _, ...rest } = checked as WriteOptions;
  const result = await sendSealedUnchecked(
    context,
    { ...rest, sealed, fileName: data.fileName },
    { key: await signingKey, reseal: source.replayable ? sealOnce : undefined },
  );
  return marker === undefined ? result : { ...result, writeReference: marker };
}
