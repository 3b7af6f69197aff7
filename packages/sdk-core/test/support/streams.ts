/** Web-stream helpers the tests share. */
import { Readable } from "node:stream";
import { createCbcEncryptStream } from "../../src/crypto/cbc-stream.ts";

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
 * Pipes `chunks` through {@link createCbcEncryptStream} and returns the chunks it emits.
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

/** `data` cut into `size`-byte copies. */
export function chunksOf(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.slice(i, i + size));
  return out;
}

/** `data` as a stream of `size`-byte chunks. */
export const streamOfBytes = (data: Uint8Array, size = 65_536) => streamOf(chunksOf(data, size));

/**
 * `plain` in every form `fileData` takes (name, maker), for the "arrives byte for byte" tests of
 * `write` and `pushData`.
 */
export function fileDataKinds(plain: Uint8Array<ArrayBuffer>): [string, () => unknown][] {
  return [
    ["Uint8Array", () => plain],
    [
      "Buffer (a view into a larger pool)",
      () => Buffer.concat([Buffer.alloc(7), Buffer.from(plain)]).subarray(7),
    ],
    ["ArrayBuffer", () => plain.slice().buffer],
    ["Blob", () => new Blob([plain])],
    ["File", () => new File([plain], "x.bin")],
    ["ReadableStream", () => streamOfBytes(plain, 4_099)],
    [
      "AsyncIterable",
      () =>
        (async function* () {
          yield* chunksOf(plain, 10_000);
        })(),
    ],
    ["Node Readable", () => Readable.from(chunksOf(plain, 16_384).map((c) => Buffer.from(c)))],
  ];
}
