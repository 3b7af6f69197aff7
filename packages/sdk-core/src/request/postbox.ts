/**
 * The postbox write once its options are checked: the JWT that binds a sealed file's envelope
 * (`iv`, `metadata`, `symmetrical_key`) to the user's access token, the encrypted body posted as
 * multipart `file`, and the token's lifecycle around it (`pending` or `401 InvalidToken`: refresh
 * once and send once more, if the body can be sent again).
 */
import type { ClientContext } from "../config.ts";
import { ResealRequiredError } from "../errors.ts";
import { collectBlob, fileChunks } from "../internal/chunks.ts";
import { type MultipartBody, multipartBody } from "../internal/multipart.ts";
import { safeProgress } from "../internal/progress.ts";
import { streamsUploads } from "../internal/runtime.ts";
import type { SendSealedOptions } from "../send-sealed.ts";
import type { SealedFile, UserAccessToken, WriteResult } from "../types.ts";
import { withToken } from "./authorized.ts";
import { bearer } from "./request-jwt.ts";
import { invalidResponse } from "./response-token.ts";
import { type DeliveryTracker, sendRequest } from "./send.ts";

/** Makes a fresh sealed file when the previous body was spent (only `write` can: it has the input). */
export type Resealer = () => Promise<SealedFile>;

type Body = Uint8Array<ArrayBuffer> | Blob | ReadableStream<Uint8Array>;
/** A sealed file whose body may have been gathered into a `Blob`. */
type Sealed = Omit<SealedFile, "body"> & { body: Body };

/** The sealed files of one write, request after request. */
interface SealedBodies {
  /** Whether another request can get a whole body (false once a stream went out, unless resealed). */
  canResend: () => boolean;
  /** The sealed file of the next request, its body ready to send (`touch` while gathering it). */
  next: (touch: () => void) => Promise<Sealed>;
}

/**
 * The bodies of a write. With a resealer (`write`), every request after the first gets a fresh
 * envelope, as the wire format says; without one (`sendSealed`), the same bytes or Blob go again
 * with the same envelope. Where uploads cannot stream, a stream body is gathered into a `Blob`
 * first, which can be sent again. A spent stream is never sent again.
 */
function sealedBodies(first: SealedFile, stream: boolean, reseal: Resealer | undefined): SealedBodies {
  let sealed: Sealed = first;
  let used = false; // `sealed` went out with a request
  let spent = false; // its body is a stream that a request has taken
  const isStream = (body: Body) => !(body instanceof Uint8Array) && !(body instanceof Blob);
  return {
    canResend: () => !spent || reseal !== undefined,
    async next(touch) {
      if (used && reseal !== undefined) sealed = await reseal();
      used = true;
      if (!stream && isStream(sealed.body)) {
        sealed = { ...sealed, body: await collectBlob(fileChunks(sealed.body), touch) };
      }
      spent = isStream(sealed.body);
      return sealed;
    },
  };
}

function writeResult(data: unknown): { status: "delivered" | "pending"; expires: number } {
  const { status, expires } = (data ?? {}) as { status?: unknown; expires?: unknown };
  if ((status !== "delivered" && status !== "pending") || typeof expires !== "number") {
    throw invalidResponse("write", 'expected { status: "delivered" | "pending", expires: number }');
  }
  return { status, expires };
}

/** How a write is signed and sent again: see {@link sendSealedUnchecked}. */
export interface SendingOptions {
  /** The contract's private key, imported by the caller (it signs every request's JWT). */
  key: CryptoKey;
  /**
   * Seals the input afresh for every request after the first (`write`, when its input can be
   * read again: a spent stream is resealed instead of refused). Without it, as in `sendSealed`.
   */
  reseal?: Resealer;
}

/** `sendSealed` on checked options (not checked again here), signed with the caller's key. */
export async function sendSealedUnchecked(
  context: ClientContext,
  options: SendSealedOptions,
  { key, reseal }: SendingOptions,
): Promise<WriteResult> {
  const { contractDetails, postboxId, fileName, signal } = options;
  const onProgress = safeProgress(options.onProgress);
  const { config } = context;
  const stream = streamsUploads(config.streamUploads);
  const url = `${config.baseUrl}permission-access/postbox/${encodeURIComponent(postboxId)}`;
  const bodies = sealedBodies(options.sealed, stream, reseal);
  // Shared by every request of this write: a NetworkError says `"not-sent"` only when none of
  // them handed a body byte to the network (an earlier request may have stored the file).
  const delivery: DeliveryTracker = { maybeSent: false };

  const post = async (token: UserAccessToken) => {
    let last: MultipartBody | undefined;
    const response = await sendRequest(config, {
      what: "write",
      signal,
      replayable: bodies.canResend,
      delivery,
      secrets: [token.accessToken.value, token.refreshToken.value],
      build: async ({ touch }) => {
        const sealed = await bodies.next(touch);
        const { size, iv, metadata, symmetricalKey } = sealed;
        last = await multipartBody({
          fileName,
          file: sealed.body,
          fileSize: size,
          stream,
          touch,
          onProgress,
        });
        const headers: Record<string, string> = {
          Accept: "application/json",
          Authorization: await bearer(context, contractDetails, key, {
            access_token: token.accessToken.value,
            iv,
            metadata,
            symmetrical_key: symmetricalKey,
          }),
          "Content-Type": last.contentType,
        };
        if (last.streamed && last.length !== undefined) headers["Content-Length"] = String(last.length);
        return { ...last, url, method: "POST", headers };
      },
    });
    // A Blob body is sent by the runtime in one go: its progress is known only at the end.
    if (last && !last.streamed && last.length !== undefined) onProgress?.(last.length, last.length);
    return writeResult(response.data);
  };

  return withToken(context, options, post, bodies.canResend, ResealRequiredError);
}
