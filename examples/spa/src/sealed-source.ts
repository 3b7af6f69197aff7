/**
 * A sealed upload's body for tus-js-client (its `fileReader` option): the file encrypted as it is
 * read (AES-256-CBC under the plan's key and iv), from any offset the Worker asks for. The slice
 * last handed out is held, so that a PATCH cut off inside it goes on from there; any other offset
 * (the upload resumed after a reload) encrypts again up to it (sdk-core's `cbcEncryptFrom`), since
 * CBC chains every block to the one before: from the last chaining block kept (the cipher block
 * before a boundary the Worker has accepted; ciphertext is no secret), else from the start.
 */
import { type CbcChain, cbcEncryptFrom } from "@digime-edge/sdk-core/internal";

/** The part of tus-js-client's `FileSource` this body provides. */
export interface SealedSource {
  size: number;
  slice(start: number, end: number): Promise<{ value: Blob; done: boolean }>;
  close(): void;
}

/** tus-js-client's `fileReader` for a sealed upload, and the chaining blocks to keep. */
export interface SealedReader {
  /** Opens the body of `file` (tus-js-client calls it). */
  openFile(file: File): Promise<SealedSource>;
  /**
   * The cipher block that ends at the last block boundary at or before `offset` (the Worker's),
   * when the body holds it: keep it to resume from there after a reload. Later reopenings use it.
   */
  chainAt(offset: number): CbcChain | undefined;
}

/**
 * tus-js-client's `fileReader` for a sealed upload.
 *
 * @param sealing - The plan's key and iv.
 * @param size - The ciphertext's size (the plan's `length`).
 * @param kept - A chaining block kept by an earlier page, if any.
 * @returns The reader, whose `openFile` takes the `File`.
 */
export function sealedFileReader(
  sealing: { key: CryptoKey; iv: Uint8Array },
  size: number,
  kept?: CbcChain,
): SealedReader {
  let source: (SealedSource & Pick<SealedReader, "chainAt">) | undefined;
  return {
    openFile: async (file) => {
      source = sealedSource(file, sealing, size, kept);
      return source;
    },
    chainAt: (offset) => source?.chainAt(offset),
  };
}

function sealedSource(
  file: File,
  { key, iv }: { key: CryptoKey; iv: Uint8Array },
  size: number,
  kept: CbcChain | undefined,
): SealedSource & Pick<SealedReader, "chainAt"> {
  let chain = kept;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let at = 0; // where the reader is, in the ciphertext
  let pending: Uint8Array | undefined; // read from the reader, not handed out yet
  let held = { from: 0, bytes: new Uint8Array(0) };

  const take = async (count: number): Promise<Uint8Array<ArrayBuffer>> => {
    const out = new Uint8Array(count);
    let filled = 0;
    while (filled < count && reader) {
      const chunk = pending ?? (await reader.read()).value;
      pending = undefined;
      if (!chunk) break;
      const part = chunk.subarray(0, count - filled);
      out.set(part, filled);
      filled += part.length;
      if (part.length < chunk.length) pending = chunk.subarray(part.length);
    }
    return out.subarray(0, filled);
  };

  // One slice at a time: a paused upload's last slice may still be read when it starts again.
  let queue: Promise<unknown> = Promise.resolve();
  const slice = async (start: number, end: number) => {
    const last = Math.min(end, size);
    const heldEnd = held.from + held.bytes.length;
    if (start >= held.from && start < heldEnd) {
      const part = held.bytes.subarray(start - held.from, Math.min(last, heldEnd) - held.from);
      return { value: new Blob([part as Uint8Array<ArrayBuffer>]), done: start + part.length >= size };
    }
    if (!reader || start !== at) {
      await reader?.cancel().catch(() => {});
      const usable = chain && chain.at <= start - (start % 16) ? chain : undefined;
      reader = (await cbcEncryptFrom(key, iv, file, start, usable)).getReader();
      pending = undefined;
      at = start;
    }
    const bytes = await take(last - start);
    held = { from: start, bytes };
    at = start + bytes.length;
    return { value: new Blob([bytes]), done: at >= size };
  };

  return {
    size,
    slice(start, end) {
      const next = queue.then(() => slice(start, end));
      queue = next.catch(() => {});
      return next;
    },
    chainAt(offset) {
      const at = offset - (offset % 16);
      const begin = at - 16 - held.from;
      if (at < 16 || begin < 0 || at > held.from + held.bytes.length) return undefined;
      chain = { at, block: held.bytes.slice(begin, begin + 16) };
      return chain;
    },
    close() {
      void reader?.cancel().catch(() => {});
      reader = undefined;
      held = { from: 0, bytes: new Uint8Array(0) };
    },
  };
}
