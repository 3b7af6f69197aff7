/**
 * Delivery of a completed resumable upload: the staged object streams from R2 into the same sinks
 * as a single-request upload (`sendSealed` for sealed, `write` or `pushData` of the decrypted
 * plaintext for plain and import), admitted and handled as `POST /api/files` is.
 */
import type { FileDescriptor } from "@digime-edge/sdk-core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import { completeDescriptor } from "../complete-descriptor.ts";
import type { DescriptorInput } from "../descriptor.ts";
import { contractDetails, getSdk } from "../digime.ts";
import { importFile } from "../import-sink.ts";
import { admitWrite, postboxOf, UploadRun } from "../upload.ts";
import { stagedCiphertext, stagedPlaintext } from "./staging.ts";
import type { StagedUpload } from "./upload-types.ts";

/** What an upload's creation gave, kept in the vault as its `metadata`. */
export interface UploadInfo {
  /** The file name as sent on (sanitised). */
  fileName: string;
  /** The file's media type (`filetype`), for the descriptor's default `mimeType` (plain, import). */
  fileType?: string;
  /** The descriptor the browser sent (plain, import). */
  descriptor?: DescriptorInput;
  /** A sealed upload's envelope. */
  envelope?: { iv: string; symmetricalKey: string; metadata: string; wrappedKeyBytes: number };
}

/** How a delivery ended: the answer, and the state it leaves the upload in. */
export interface DeliveryOutcome {
  /** `delivered`; `failed` (final); `complete` (digi.me surely did not take it: may be delivered later). */
  state: "delivered" | "failed" | "complete";
  /** The answer's status. */
  status: number;
  /** The answer's JSON body: `UploadResult`, or `{ error }`. */
  body: string;
  /** The answer's extra headers (`Retry-After`). */
  headers: Record<string, string>;
}

/** Failures after which the file surely is not stored: the upload stays complete, to deliver again. */
const NOT_STORED = new Set([
  "DIGIME_UNREACHABLE_NOT_SENT",
  "DIGIME_UNAVAILABLE",
  "TOKEN_REFRESHED_RETRY",
  "RATE_LIMITED",
  "TOO_MANY_UPLOADS",
  "SESSION_EXPIRED",
  "UNAUTHENTICATED",
  "CANNOT_WRITE",
  // R2 failed before the body's end: the send was aborted, digi.me never had the whole file.
  "STAGING_UNAVAILABLE",
]);

/**
 * Delivers a completed upload once. A sealed upload's body is a stream that sdk-core cannot send
 * again, so when digi.me asks for a token refresh after it went out (not stored), it is read from
 * R2 once more and sent with the refreshed token; plain and import uploads are read again by
 * sdk-core itself.
 *
 * @param c - The request context (after `withConfig` and `requireSession`).
 * @param upload - The upload (complete, `delivering`).
 * @param key - The staging key (plain, import).
 */
export async function deliverUpload(
  c: Context<AppEnv>,
  upload: StagedUpload,
  key: CryptoKey | undefined,
): Promise<DeliveryOutcome> {
  const config = c.get("config");
  const bucket = c.env.TUS_STAGING;
  const info = JSON.parse(upload.metadata) as UploadInfo;
  try {
    const grant = await admitWrite(c, info.envelope?.wrappedKeyBytes);
    try {
      let token = grant.token;
      for (let attempt = 1; ; attempt++) {
        const run = new UploadRun({ cancel: async () => {} });
        run.bytes = upload.length;
        const signal = run.upstream.signal;
        const refresh = run.refresher(c);
        try {
          const result = await run.deliver(info.fileName, async () => {
            // A staged read that fails aborts the send: the body never ends (`UploadRun.stream`).
            const toStream = (chunks: AsyncIterator<Uint8Array>) => run.stream(chunks);
            if (upload.mode === "sealed" && info.envelope) {
              const body = toStream(stagedCiphertext(bucket, upload));
              const { iv, symmetricalKey, metadata } = info.envelope;
              return getSdk(config).sendSealed({
                contractDetails: contractDetails(config),
                userAccessToken: token,
                postboxId: postboxOf(grant).postboxId,
                sealed: { iv, symmetricalKey, metadata, body, size: upload.length },
                fileName: info.fileName,
                signal,
                refresh,
              });
            }
            const fileData = stagedPlaintext(bucket, upload, key as CryptoKey, toStream);
            const fileDescriptor: FileDescriptor = completeDescriptor(
              info.descriptor,
              info.fileType,
              c.get("userId"),
            );
            const file = { fileData, fileName: info.fileName, fileDescriptor };
            return upload.mode === "import"
              ? importFile({ config, token, signal, refresh }, file)
              : getSdk(config).write({
                  contractDetails: contractDetails(config),
                  userAccessToken: token,
                  ...postboxOf(grant),
                  data: file,
                  signal,
                  refresh,
                });
          });
          return { state: "delivered", status: 200, body: JSON.stringify(result), headers: {} };
        } catch (error) {
          if (!(error instanceof ApiError) || error.code !== "TOKEN_REFRESHED_RETRY" || attempt > 1)
            throw error;
          // A failed refresh throws this run's first failure (`UploadRun.fail`): `error` itself.
          token = await refresh(token);
        }
      }
    } finally {
      await grant.release();
    }
  } catch (error) {
    const failure = error instanceof ApiError ? error : new ApiError(500, "INTERNAL", "the delivery failed");
    return {
      state: NOT_STORED.has(failure.code) ? "complete" : "failed",
      status: failure.status,
      body: JSON.stringify(failure.toBody()),
      headers: failure.headers,
    };
  }
}
