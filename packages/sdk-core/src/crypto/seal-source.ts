/**
 * Sealing a file for a postbox once its input is checked: the descriptor with its write marker,
 * a fresh envelope, and the file encrypted with it (bytes at once, a stream as it is read).
 */

import { cbcEncryptChunks, DEFAULT_CHUNK_SIZE, writePieceSize } from "../internal/cbc.ts";
import { chunksOf } from "../internal/chunks.ts";
import { countedStream } from "../internal/counted-stream.ts";
import type { FileSource } from "../internal/file-data.ts";
import { randomNonce } from "../internal/random.ts";
import type { FileDescriptor, ProgressCallback, SealedFile } from "../types.ts";
import { cbcCiphertextSize } from "./cbc-stream.ts";
import { envelopeFor } from "./envelope.ts";

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

/**
 * Encrypts an already normalised source with a fresh envelope: what `seal` returns, and what
 * `write` makes for every request (it checked its input itself).
 */
export async function sealSource(
  publicKey: CryptoKey,
  source: FileSource,
  fileDescriptor: unknown,
  onProgress?: ProgressCallback,
): Promise<SealedFile> {
  const bytes = source.kind === "bytes" ? source.bytes : undefined;
  const envelope = await envelopeFor(publicKey, fileDescriptor, { file: bytes });
  const fields = { iv: envelope.ivHex, symmetricalKey: envelope.symmetricalKey, metadata: envelope.metadata };
  if (source.kind === "bytes") {
    const body = envelope.body as Uint8Array<ArrayBuffer>;
    onProgress?.(source.size, source.size);
    return { ...fields, body, size: body.length };
  }
  // Read as the encryption asks (one piece ahead of the body's reader), counted for progress.
  const chunks: AsyncIterator<Uint8Array> = source.chunks();
  let read = 0;
  const input = onProgress
    ? chunksOf(
        () => chunks.next(),
        (reason) => chunks.return?.(reason),
        (chunk) => {
          read += (chunk as Uint8Array).length;
          onProgress(read, source.size);
          return chunk as Uint8Array;
        },
      )
    : chunks;
  const pieces = cbcEncryptChunks(envelope.aesKey, envelope.iv, input, writePieceSize(), DEFAULT_CHUNK_SIZE);
  const body = countedStream(pieces, {}).body;
  return source.size === undefined
    ? { ...fields, body }
    : { ...fields, body, size: cbcCiphertextSize(source.size) };
}
