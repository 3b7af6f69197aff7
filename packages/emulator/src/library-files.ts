import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { EmulatorContext } from "./context.ts";
import { ApiError } from "./errors.ts";
import type { FileDescriptor } from "./file-descriptor.ts";
import type { ReceivedBytes } from "./raw-upload.ts";
import { type LibraryFile, newId } from "./store.ts";

/**
 * Moves a whole upload from the temporary folder into `library/<userId>/<fileId>` and records it:
 * the one way a file enters a library (postbox writes, imports, FHIR pushes). On any failure the
 * bytes are removed and nothing is recorded. A user deleted while the upload streamed gets nothing
 * either: `401 InvalidToken`, as their token now is.
 * @param describe - The record without its id, path and time; `fileName` may use the new id.
 */
export async function addToLibrary(
  ctx: EmulatorContext,
  tmpPath: string,
  describe: (id: string) => Omit<LibraryFile, "id" | "path" | "createdAt">,
): Promise<LibraryFile> {
  const { store } = ctx;
  const id = newId("file_", 16);
  const record = describe(id);
  const dir = join(store.filesDir, record.userId);
  const path = join(dir, id);
  try {
    if (!store.getUser(record.userId)) {
      throw new ApiError(401, "InvalidToken", "The token (access_token) is invalid");
    }
    await mkdir(dir, { recursive: true });
    await rename(tmpPath, path);
    return store.insertFile({ ...record, id, path: `${record.userId}/${id}`, createdAt: ctx.now() });
  } catch (error) {
    await rm(tmpPath, { force: true });
    await rm(path, { force: true });
    throw error;
  }
}

/**
 * {@link addToLibrary} for an upload received whole (a postbox write, an import): the record's
 * size and hash are the upload's, its metadata the checked descriptor, its media type the
 * descriptor's, and it belongs to no account.
 * @param owner - Whose file it is and where it came from; `fileName` may use the new id.
 */
export function addUploadToLibrary(
  ctx: EmulatorContext,
  received: ReceivedBytes,
  metadata: FileDescriptor,
  owner: (id: string) => Pick<LibraryFile, "userId" | "postboxId" | "clientId" | "source" | "fileName">,
): Promise<LibraryFile> {
  return addToLibrary(ctx, received.tmpPath, (id) => ({
    ...owner(id),
    accountId: null,
    mimeType: metadata.mimeType,
    metadata,
    size: received.size,
    sha256: received.sha256,
  }));
}
