import type { FileDescriptor } from "@digime-edge/sdk-core";
import { mediaTypeOf } from "./media-type.ts";

/**
 * Completes a descriptor: `mimeType` defaults to the file's type, `accounts` to the given
 * account. No dependency, so that the typed client (in browsers) uses it too.
 *
 * @param input - What the browser sent (or nothing; see `DescriptorInput` in descriptor.ts).
 * @param fileType - The file's `Content-Type` (part header or `Blob.type`).
 * @param accountId - The account when `input` names none (the signed-in user's id).
 */
export function completeDescriptor(
  input: Partial<FileDescriptor> | undefined,
  fileType: string | undefined,
  accountId: string,
): FileDescriptor {
  return {
    mimeType: input?.mimeType ?? mediaTypeOf(fileType) ?? "application/octet-stream",
    accounts: input?.accounts ?? [{ accountId }],
    ...(input?.reference ? { reference: input.reference } : {}),
    ...(input?.tags ? { tags: input.tags } : {}),
  };
}
