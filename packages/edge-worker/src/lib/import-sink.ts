/**
 * The import sink of `POST /api/files` (`DIGIME_WRITE_API=import`): the file's bytes go on to
 * digi.me as they are (sdk-core's `pushData`, `type: "library"`), never sealed. The checks before
 * the body and the body's own (size, timing, form) are the upload pipeline's, shared with the
 * postbox sinks.
 */
import type { FileData, FileDescriptor, UserAccessToken } from "@digime-edge/sdk-core";
import type { Config } from "../config.ts";
import { contractDetails, getSdk } from "./digime.ts";

/** What one import needs besides the file. */
export interface ImportContext {
  /** The validated configuration. */
  config: Config;
  /** The admitted write's token (see `admitWrite`). */
  token: UserAccessToken;
  /** Aborts the request to digi.me (the upload's `UploadRun.upstream`). */
  signal: AbortSignal;
  /** sdk-core's `refresh` hook (the upload's `UploadRun.refresher`). */
  refresh: (stale: UserAccessToken) => Promise<UserAccessToken>;
}

/**
 * Imports a file into the user's library. Any 2xx of digi.me is `delivered` (the import API has no
 * `pending`, and its answer carries no `expires` that sdk-core keeps).
 *
 * @param context - Token, cancellation and refresh of the admitted upload.
 * @param file - The file's bytes (a stream or, up to `REPLAYABLE_BYTES`, bytes that sdk-core can
 *   send again after a refresh), its name (not carried by this API) and descriptor.
 */
export async function importFile(
  context: ImportContext,
  file: { fileData: FileData; fileName: string; fileDescriptor: FileDescriptor },
): Promise<{ status: "delivered" }> {
  const { config, token, signal, refresh } = context;
  await getSdk(config).pushData({
    type: "library",
    contractDetails: contractDetails(config),
    userAccessToken: token,
    data: file,
    signal,
    refresh,
  });
  return { status: "delivered" };
}
