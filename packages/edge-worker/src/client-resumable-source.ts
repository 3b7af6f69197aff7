/**
 * A resumable upload's body, read from any offset the Worker asks for: slices of the file, or,
 * sealed, the file encrypted as it is read, holding only the ciphertext of the PATCH in flight (to
 * send again from any offset within it).
 */
import { createCbcEncryptStream } from "@digime-edge/sdk-core";
import { concatBytes } from "@digime-edge/sdk-core/internal";
import { EdgeClientError } from "./client-http.ts";
import type { ResumablePlan } from "./client-resumable-plan.ts";

/** The bytes to send from any offset. */
export interface Source {
  /** The body's size: `Upload-Length`. */
  total: number;
  /** The bytes from `offset` to at most `offset + max` (as few as are left). */
  read(offset: number, max: number): Promise<Blob | Uint8Array<ArrayBuffer>>;
}

/** The sealed body, read in order; the span last read is kept to be sent again from within it. */
function ciphertextSource(body: ReadableStream<Uint8Array>, total: number): Source {
  const reader = body.getReader();
  let held = new Uint8Array(0);
  let heldFrom = 0;
  let pending: Uint8Array | undefined;
  const take = async (upTo: number): Promise<void> => {
    const parts: Uint8Array[] = [];
    let have = 0;
    const want = upTo - (heldFrom + held.length);
    while (have < want) {
      const chunk = pending ?? (await reader.read()).value;
      pending = undefined;
      if (!chunk) break;
      if (have + chunk.length > want) {
        parts.push(chunk.subarray(0, want - have));
        pending = chunk.subarray(want - have);
        have = want;
      } else {
        parts.push(chunk);
        have += chunk.length;
      }
    }
    heldFrom += held.length;
    held = concatBytes(...parts);
  };
  return {
    total,
    async read(offset, max) {
      const end = Math.min(total, offset + max);
      if (offset < heldFrom)
        throw new EdgeClientError(0, "HTTP_ERROR", "the Worker went back before this PATCH");
      if (offset >= heldFrom + held.length) {
        if (offset > heldFrom + held.length) await take(offset); // not expected: the Worker is ahead
        await take(end);
      }
      return held.slice(offset - heldFrom, Math.min(end, heldFrom + held.length) - heldFrom);
    },
  };
}

/**
 * The body of `file`'s upload by `plan`: the file itself, or sealed, its ciphertext.
 *
 * @param file - The file or blob.
 * @param plan - The upload's plan (its length, and a sealed upload's key and iv).
 */
export function uploadSource(file: Blob, plan: ResumablePlan): Source {
  if (!plan.sealing)
    return { total: file.size, read: async (offset, max) => file.slice(offset, offset + max) };
  const { key, iv } = plan.sealing;
  return ciphertextSource(file.stream().pipeThrough(createCbcEncryptStream(key, iv)), plan.length);
}
