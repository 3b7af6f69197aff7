/**
 * One resumable upload with tus-js-client (the tus ecosystem's reference client) against the
 * Worker's `/api/uploads`: the session cookie on every request (`withCredentials`; the browser adds
 * the `Origin` the Worker's CSRF check reads), PATCHes of `chunkSize`, a dropped connection resumed
 * from HEAD's offset, pause and resume, and the delivery's answer read from the last PATCH.
 */
import {
  EdgeClientError,
  type ResumablePlan,
  toError,
  type UploadResult,
} from "@digime-edge/edge-worker/client";
import type { CbcChain } from "@digime-edge/sdk-core/internal";
import { type DetailedError, Upload, type UploadOptions } from "tus-js-client";
import type { PauseSwitch } from "./pause-switch.ts";
import { sealedFileReader } from "./sealed-source.ts";

/**
 * Waits before each resume after a dropped connection (or a 409/423 answer), in ms. The count
 * starts again once the upload moves on.
 */
export const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000];

/** What {@link sendWithTus} needs. */
export interface TusUploadRequest {
  /**
   * The key the upload is kept under (`resume-store.ts`'s `resumeId`), given to tus-js-client as
   * the file's fingerprint (its own store of uploads is not used).
   */
  fingerprint: string;
  /** `/api/uploads` on the Worker, as an absolute URL; `null` to only resume `uploadUrl`. */
  endpoint: string | null;
  file: File;
  /** From the typed client's `prepareResumable` (or kept from an earlier page). */
  plan: ResumablePlan;
  /** A sealed upload's chaining block kept by an earlier page, if any. */
  chain?: CbcChain | undefined;
  /** Called with a sealed upload's chaining block at what the Worker has accepted, to keep. */
  onChain?: (chain: CbcChain) => void;
  /** The upload to resume (its URL, kept from an earlier page), if any. */
  uploadUrl: string | undefined;
  /** Bytes per PATCH. */
  chunkSize: number;
  /** Called once the upload has its URL, with the upload's expiry when the Worker said it. */
  onUploadUrl: (url: string, expiresAt: number | undefined) => void;
  /** Called as bytes go out: `sent` of `total` (for a sealed upload, of the ciphertext). */
  onProgress: (sent: number, total: number) => void;
  /** Pauses and resumes. */
  pause: PauseSwitch;
  /** Ends the upload: the Worker deletes it (`DELETE`), and the promise rejects with `ABORTED`. */
  signal: AbortSignal;
}

/**
 * Sends the file with tus-js-client and returns the delivery's result, as `uploadResumable` would.
 *
 * @param request - The file, its plan and what to follow.
 * @returns The delivery's result.
 * @throws EdgeClientError: the Worker's codes, `NETWORK` (after the retries), `ABORTED`, `SEAL_FAILED`.
 */
export function sendWithTus(request: TusUploadRequest): Promise<UploadResult> {
  const { file, plan, pause, signal } = request;
  return new Promise<UploadResult>((resolve, reject) => {
    let expiresAt: number | undefined;
    let redelivered = false;
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      pause.removeEventListener("change", onPause);
      signal.removeEventListener("abort", onAbort);
      outcome();
    };
    // All bytes are in, yet this answer carries no delivery (HEAD after a reload said so, or digi.me
    // asked to sign again): one empty PATCH at the end delivers, or returns the delivery made.
    const deliver = () =>
      deliverAt(upload.url ?? "", plan.length).then(
        (result) => settle(() => resolve(result)),
        (error: unknown) => settle(() => reject(error)),
      );
    const sealedReader = plan.sealing && sealedFileReader(plan.sealing, plan.length, request.chain);
    const options: UploadOptions = {
      endpoint: request.endpoint,
      uploadUrl: request.uploadUrl ?? null,
      uploadSize: plan.length,
      metadata: plan.metadata,
      chunkSize: request.chunkSize,
      retryDelays: RETRY_DELAYS,
      fingerprint: async () => request.fingerprint,
      storeFingerprintForResuming: false,
      ...(sealedReader ? { fileReader: sealedReader } : {}),
      onChunkComplete: (_size, accepted) => {
        const chain = sealedReader?.chainAt(accepted);
        if (chain) request.onChain?.(chain);
      },
      onBeforeRequest: withCredentials,
      onAfterResponse: (_req, res) => {
        const expires = Date.parse(res.getHeader("Upload-Expires") ?? "");
        if (Number.isFinite(expires)) expiresAt = expires;
      },
      onUploadUrlAvailable: () => {
        if (upload.url) request.onUploadUrl(upload.url, expiresAt);
      },
      onProgress: request.onProgress,
      // Resumed: no answer (a dropped connection), a moved offset (409), a PATCH still taken in
      // (423). Not an answer of the Worker's: a delivery is never attempted twice from here.
      onShouldRetry: (error) => {
        const status = error.originalResponse?.getStatus() ?? 0;
        return status === 0 || status === 409 || status === 423;
      },
      onSuccess: ({ lastResponse }) => {
        const body = lastResponse.getBody();
        if (!body) return void deliver();
        try {
          const result = JSON.parse(body) as UploadResult;
          settle(() => resolve(result));
        } catch {
          settle(() =>
            reject(new EdgeClientError(lastResponse.getStatus(), "HTTP_ERROR", "no delivery result")),
          );
        }
      },
      onError: (error) => {
        const problem = edgeErrorOf(error, Boolean(plan.sealing));
        if (problem instanceof EdgeClientError && problem.code === "TOKEN_REFRESHED_RETRY" && !redelivered) {
          redelivered = true;
          return void deliver();
        }
        settle(() => reject(problem));
      },
    };
    const upload = new Upload(file, options);
    const onPause = () => {
      if (pause.paused) void upload.abort();
      else upload.start();
    };
    const onAbort = () => {
      void upload.abort(true).catch(() => {});
      settle(() => reject(new EdgeClientError(0, "ABORTED", "the upload was ended")));
    };
    pause.addEventListener("change", onPause);
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    else if (!pause.paused) upload.start();
  });
}

/**
 * Ends the upload at `url` (tus termination: the Worker deletes it), asked again while a PATCH is
 * still being taken in (423) or the Worker cannot be reached, as {@link RETRY_DELAYS} says.
 *
 * @param url - The upload's URL.
 * @throws tus-js-client's `DetailedError` when the Worker did not end it.
 */
export function endUpload(url: string): Promise<void> {
  return Upload.terminate(url, { retryDelays: RETRY_DELAYS, onBeforeRequest: withCredentials });
}

/** The session cookie on every request to the Worker (the page may be served from elsewhere). */
const withCredentials: UploadOptions["onBeforeRequest"] = (req) => {
  (req.getUnderlyingObject() as XMLHttpRequest).withCredentials = true;
};

/** An `EdgeClientError` for what tus-js-client reported (reading a plain file: its own error). */
function edgeErrorOf(error: Error | DetailedError, sealed: boolean): Error {
  const response = "originalRequest" in error ? error.originalResponse : null;
  if (response) {
    const status = response.getStatus();
    const body = response.getBody() ?? "";
    // HEAD's answers have no body: its 404 and 410 say the upload is gone.
    if (!body && (status === 404 || status === 410))
      return new EdgeClientError(status, status === 404 ? "NOT_FOUND" : "UPLOAD_EXPIRED", "no such upload");
    return toError(status, body, response.getHeader("Retry-After") ?? null);
  }
  if ("originalRequest" in error && error.originalRequest)
    return new EdgeClientError(0, "NETWORK", "the Worker could not be reached");
  // Not a request's: reading (and for a sealed upload, encrypting) the file failed.
  return sealed ? new EdgeClientError(0, "SEAL_FAILED", error.message) : error;
}

/** The empty PATCH at the end of a complete upload: its delivery's result. */
async function deliverAt(url: string, length: number): Promise<UploadResult> {
  for (let attempt = 1; ; attempt++) {
    let answer: Response;
    try {
      answer = await fetch(url, {
        method: "PATCH",
        credentials: "include",
        headers: {
          "Tus-Resumable": "1.0.0",
          "Content-Type": "application/offset+octet-stream",
          "Upload-Offset": String(length),
        },
      });
    } catch {
      throw new EdgeClientError(0, "NETWORK", "the Worker could not be reached");
    }
    // 423: the PATCH that brought the last byte is still delivering; its answer comes to this one.
    if (answer.status === 423 && attempt < RETRY_DELAYS.length) {
      await new Promise((done) => setTimeout(done, 500 * attempt));
      continue;
    }
    const text = await answer.text();
    if (!answer.ok) throw toError(answer.status, text, answer.headers.get("Retry-After"));
    return JSON.parse(text) as UploadResult;
  }
}
