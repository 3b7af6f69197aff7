/** Web-stream helpers the CBC and envelope tests share. */
import { createCbcEncryptStream } from "../../src/crypto/cbc-stream.js";

/** A stream of the given chunks, in order. */
export function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++] as Uint8Array);
      else controller.close();
    },
  });
}

/**
 * Pipes `chunks` through {@link createCbcEncryptStream} and answers the chunks it emits.
 *
 * @param chunkSize - The stream's `chunkSize`; its default when undefined.
 */
export async function encryptChunks(
  key: CryptoKey,
  iv: Uint8Array,
  chunks: Uint8Array[],
  chunkSize?: number,
): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  await streamOf(chunks)
    .pipeThrough(createCbcEncryptStream(key, iv, chunkSize === undefined ? {} : { chunkSize }))
    .pipeTo(new WritableStream({ write: (c) => void out.push(c) }));
  return out;
}
