/**
 * What a resumable upload's creation sends (`prepareResumable`): its length, its `Upload-Metadata`
 * and, for a sealed upload, the key and iv its body is encrypted with (a new envelope from
 * sdk-core's `createEnvelope` for the session's postbox key, as `seal` makes).
 */
import {
  cbcCiphertextSize,
  createEnvelope,
  type FileDescriptor,
  importPostboxPublicKey,
} from "@digime-edge/sdk-core";
import { EdgeClientError, nameOf } from "./client-http.ts";
import { completeDescriptor } from "./lib/complete-descriptor.ts";
import type { DescriptorInput } from "./lib/descriptor.ts";
import type { SessionInfo } from "./routes/session.ts";

/** What a resumable upload's plan takes: the options that shape the creation. */
export interface ResumablePlanOptions {
  /** Seal the file in the browser (postbox contracts): the Worker stages and forwards ciphertext only. */
  sealed?: boolean;
  /** Optional `mimeType`, `accounts`, `tags`, `reference`. */
  descriptor?: DescriptorInput;
  /** File name to send; defaults to the `File`'s name, or `upload`. */
  fileName?: string;
}

/**
 * What a resumable upload's creation sends, and for a sealed upload what its body is encrypted
 * with: enough for any tus client to send the file (and to resume a sealed one from any offset).
 */
export interface ResumablePlan {
  /** `Upload-Length`: the file's size, or for a sealed upload its ciphertext's (`cbcCiphertextSize`). */
  length: number;
  /**
   * `Upload-Metadata`, before base64: `filename`, and a sealed upload's envelope (`iv`,
   * `symmetricalKey`, `metadata`: neither holds the key in the clear) or a plain one's `filetype`
   * and `fileDescriptor`.
   */
  metadata: Record<string, string>;
  /**
   * A sealed upload's AES-256-CBC key (not extractable, usage `encrypt` only) and iv: the body is
   * the file encrypted with them, with PKCS#7 padding (from any offset: sdk-core's `internal`
   * `cbcEncryptFrom`). Absent for a plain upload, whose body is the file.
   */
  sealing?: { key: CryptoKey; iv: Uint8Array<ArrayBuffer> };
}

/**
 * The plan of a resumable upload of `file`.
 *
 * @param file - The file or blob.
 * @param opts - Sealing, descriptor, file name.
 * @param session - Reads `/api/session` (for a sealed upload's key and account).
 * @throws EdgeClientError: `UNAUTHENTICATED`, `SEALING_UNAVAILABLE` (sealed, without a postbox
 *   key), `SEAL_FAILED` (the key did not import, or the envelope failed).
 */
export async function resumablePlan(
  file: Blob,
  opts: ResumablePlanOptions,
  session: () => Promise<SessionInfo>,
): Promise<ResumablePlan> {
  const fileName = nameOf(file, opts);
  const metadata: Record<string, string> = { filename: fileName };
  if (!opts.sealed) {
    if (file.type) metadata.filetype = file.type;
    if (opts.descriptor) metadata.fileDescriptor = JSON.stringify(opts.descriptor);
    return { length: file.size, metadata };
  }
  const info = await session();
  if (!info.authenticated) throw new EdgeClientError(401, "UNAUTHENTICATED", "sign in first");
  const { publicKey, accountId } = info;
  if (!info.canSeal || !publicKey || !accountId)
    throw new EdgeClientError(409, "SEALING_UNAVAILABLE", "this session has no postbox key to seal for");
  const fileDescriptor: FileDescriptor = completeDescriptor(opts.descriptor, file.type, accountId);
  let envelope: Awaited<ReturnType<typeof createEnvelope>>;
  try {
    envelope = await createEnvelope({ publicKey: await importPostboxPublicKey(publicKey), fileDescriptor });
  } catch (error) {
    throw new EdgeClientError(0, "SEAL_FAILED", error instanceof Error ? error.message : "sealing failed");
  }
  return {
    length: cbcCiphertextSize(file.size),
    metadata: {
      ...metadata,
      iv: envelope.ivHex,
      symmetricalKey: envelope.symmetricalKey,
      metadata: envelope.metadata,
    },
    sealing: { key: envelope.aesKey, iv: envelope.iv },
  };
}
