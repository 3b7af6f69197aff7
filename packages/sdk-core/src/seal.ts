/**
 * The half of a write that needs no secret: a fresh envelope for the postbox's public key, and the
 * file encrypted with it. No network. It can run where the file is (a browser), leaving only the
 * signing (`sendSealed`) to the holder of the contract key and the user's token.
 */
import { cbcCiphertextSize, cbcEncrypt, cbcEncryptStream } from "./crypto/cbc-stream.js";
import { envelopeFor } from "./crypto/envelope.js";
import { countedStream } from "./internal/counted-stream.js";
import { type FileSource, normalizeFileData } from "./internal/file-data.js";
import { postboxKey } from "./internal/input-keys.js";
import { safeProgress } from "./internal/progress.js";
import { randomNonce } from "./internal/random.js";
import { parseInput, sealOptionsSchema } from "./schemas.js";
import type { FileData, FileDescriptor, ProgressCallback, SealedFile } from "./types.js";

/**
 * The descriptor to encrypt and the marker of `writeReference` (`true`: a new random one), added
 * as the last `reference` of a copy, so that every stored copy of one write carries it.
 */
export function markDescriptor(
  fileDescriptor: FileDescriptor,
  writeReference: true | string | undefined,
): [unknown, string | undefined] {
  if (writeReference === undefined) return [fileDescriptor, undefined];
  const marker = writeReference === true ? `write:${randomNonce(24)}` : writeReference;
  return [{ ...fileDescriptor, reference: [...(fileDescriptor.reference ?? []), marker] }, marker];
}

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

/** Encrypts an already normalised source; shared with `write`, which checked its input itself. */
export async function sealSource(
  publicKey: CryptoKey,
  source: FileSource,
  fileDescriptor: unknown,
  onProgress?: ProgressCallback,
): Promise<SealedFile> {
  const envelope = await envelopeFor(publicKey, fileDescriptor);
  const fields = { iv: envelope.ivHex, symmetricalKey: envelope.symmetricalKey, metadata: envelope.metadata };
  if (source.kind === "bytes") {
    const body = await cbcEncrypt(envelope.aesKey, envelope.iv, source.bytes);
    onProgress?.(source.size, source.size);
    return { ...fields, body, size: body.length };
  }
  // Pulled as the encryption asks (no read-ahead), with the plaintext read counted for progress.
  const input = countedStream(source.chunks(), { onProgress, length: source.size }).body;
  const body = input.pipeThrough(cbcEncryptStream(envelope.aesKey, envelope.iv));
  return source.size === undefined
    ? { ...fields, body }
    : { ...fields, body, size: cbcCiphertextSize(source.size) };
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
