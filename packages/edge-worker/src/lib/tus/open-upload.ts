/** The vault's start of a resumable upload, once the session may write. */
import type { ApiFailure } from "../digime.ts";
import { STAGING_RETRY_AFTER_SECONDS } from "./staging.ts";
import { newStagingKey } from "./staging-cipher.ts";
import { logStagingFailure } from "./upload-cleanup.ts";
import type { StagedUploads } from "./upload-state.ts";
import type { UploadMode } from "./upload-types.ts";

/** What a resumable upload starts with, and the limits in force. */
export interface OpenUploadInput {
  /** How the upload's bytes reach digi.me. */
  mode: UploadMode;
  /** The declared length (bytes). */
  length: number;
  /** The upload's metadata (JSON). */
  metadata: string;
  /** How long the upload may take (ms). */
  ttlMs: number;
  /** The resumable uploads a user may hold at once. */
  maxOpen: number;
  /** The per-minute budget (the Worker's setting). */
  ratePerMinute: number;
  /** A sealed upload's wrapped AES key size. */
  wrappedKeyBytes?: number;
}

/**
 * Starts a resumable upload: at most `maxOpen` held at once (429 `TOO_MANY_UPLOADS`), then one
 * from the rate budget. A plain or import upload gets its staging key here. The vault's alarm is
 * brought forward to the upload's expiry when that is sooner. R2 failing to start its multipart
 * upload is 503 `STAGING_UNAVAILABLE`, and no upload is kept.
 *
 * @param uploads - The vault's uploads.
 * @param storage - The vault's storage (its alarm).
 * @param input - The upload and the limits in force.
 * @param spend - Takes one from the user's rate budget; a refusal when it is spent.
 */
export async function openUpload(
  uploads: StagedUploads,
  storage: DurableObjectStorage,
  input: OpenUploadInput,
  spend: (ratePerMinute: number) => ({ ok: false } & ApiFailure) | undefined,
): Promise<{ ok: true; id: string; expiresAt: number } | ({ ok: false } & ApiFailure)> {
  if (uploads.count() >= input.maxOpen) {
    return {
      ok: false,
      status: 429,
      code: "TOO_MANY_UPLOADS",
      message: `at most ${input.maxOpen} resumable uploads at once; finish or end one first`,
      retryAfter: 60,
    };
  }
  const limited = spend(input.ratePerMinute);
  if (limited) return limited;
  const expiresAt = Date.now() + input.ttlMs;
  let id: string;
  try {
    ({ id } = await uploads.create({
      mode: input.mode,
      length: input.length,
      metadata: input.metadata,
      expiresAt,
      ...(input.mode === "sealed" ? {} : { stagingKey: newStagingKey() }),
    }));
  } catch (error) {
    logStagingFailure(error, "staging_create_failed");
    return {
      ok: false,
      status: 503,
      code: "STAGING_UNAVAILABLE",
      message: "the uploads' storage failed; create the upload again shortly",
      retryAfter: STAGING_RETRY_AFTER_SECONDS,
    };
  }
  const alarm = await storage.getAlarm();
  if (alarm === null || alarm > expiresAt) await storage.setAlarm(expiresAt);
  return { ok: true, id, expiresAt };
}
