/**
 * The half of a write that needs no secret: a fresh envelope for the postbox's public key, and the
 * file encrypted with it. No network. It can run where the file is (a browser), leaving only the
 * signing (`sendSealed`) to the holder of the contract key and the user's token.
 */
import { postboxKey } from "./crypto/input-keys.ts";
import { markDescriptor, sealSource } from "./crypto/seal-source.ts";
import { parseInput } from "./internal/checks.ts";
import { normalizeFileData } from "./internal/file-data.ts";
import { safeProgress } from "./internal/progress.ts";
import { sealOptionsSchema } from "./schemas.ts";
import type { FileData, FileDescriptor, ProgressCallback, SealedFile } from "./types.ts";

/** Options of {@link seal}. */
export interface SealOptions {
  /** The postbox's RSA public key, PEM (PKCS#1 `RSA PUBLIC KEY` or SPKI `PUBLIC KEY`). */
  publicKey: string;
  /** The file's content. A stream is encrypted as the sealed body is read, never held whole. */
  fileData: FileData;
  /** Describes the file; encrypted into `metadata`. */
  fileDescriptor: FileDescriptor;
  /** Called as the input is encrypted: plaintext bytes read so far, of the total when known. */
  onProgress?: ProgressCallback;
  /**
   * Adds a marker to the descriptor's `reference`: `true` for a new random one (`write:` and 24
   * letters or digits), or your own string. The result's `writeReference` says which. Off by
   * default. See `WriteOptions.writeReference`.
   */
  writeReference?: true | string;
}

/**
 * Seals a file for a postbox: a new AES-256 key and iv, the key wrapped with the postbox's public
 * key (`symmetricalKey`), the descriptor encrypted (`metadata`) and the file encrypted (`body`),
 * all as the wire format encodes them. Bytes give bytes; a `Blob`, stream or async iterable gives
 * a stream, which can be sent once. Holds no secret and sends nothing.
 * @throws TypeValidationError for bad options: a key that does not import, a descriptor of the
 *   wrong shape, `fileData` of no accepted type.
 */
export async function seal(options: SealOptions): Promise<SealedFile> {
  const { publicKey, onProgress, writeReference } = parseInput(sealOptionsSchema(), options, "seal options");
  const source = normalizeFileData(options.fileData, ["fileData"]);
  const key = await postboxKey(publicKey, ["publicKey"]);
  // The caller's descriptor object, not the parsed copy: every member it has is kept, in its order.
  const [descriptor, marker] = markDescriptor(options.fileDescriptor, writeReference);
  const sealed = await sealSource(
    key,
    source,
    descriptor,
    safeProgress(onProgress as ProgressCallback | undefined),
  );
  return marker === undefined ? sealed : { ...sealed, writeReference: marker };
}
