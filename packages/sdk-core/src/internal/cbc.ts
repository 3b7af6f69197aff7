/**
 * AES-CBC with PKCS#7 padding on WebCrypto, one-shot or as a stream, for arguments already checked
 * (the public, checking forms are in `crypto/cbc-stream.ts`). WebCrypto's AES-CBC is one-shot and
 * always pads, so the stream encrypts whole 16-byte blocks chunk by chunk, chaining each chunk from
 * the previous one's last cipher block and dropping the padding block WebCrypto adds; only the
 * final chunk keeps it. The output is byte-identical to one-shot CBC.
 */
import { toArrayBufferBytes } from "./bytes.ts";
import { type Chunks, chunksOf } from "./chunks.ts";
import { runtimeSupport } from "./runtime.ts";

/** The AES block size in bytes. */
export const BLOCK = 16;

/** Bytes encrypted per WebCrypto call by default: 1 MiB. */
export const DEFAULT_CHUNK_SIZE = 1_048_576;

/**
 * Bytes per WebCrypto call of a write's stream: 4 MiB on Node, where fewer, larger calls cost
 * less CPU (fewer of V8's mark-compacts per file: `pnpm bench stream`), handed out in 1 MiB views;
 * 1 MiB elsewhere (a Worker's isolate has 128 MB for all its requests).
 */
export const writePieceSize = (): number => DEFAULT_CHUNK_SIZE * (runtimeSupport().name === "node" ? 4 : 1);

/** `encryptCbc` of a 16-byte iv not checked again (a write's own). */
export async function cbcEncryptUnchecked(
  key: CryptoKey,
  iv: Uint8Array<ArrayBuffer>,
  data: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CBC", iv }, key, toArrayBufferBytes(data)));
}

/**
 * Encrypts `blocks` (whole blocks, unless `last`) chained from the previous call's last cipher
 * block; drops the padding block WebCrypto adds unless `last`.
 */
function cbcChain(key: CryptoKey, iv: Uint8Array<ArrayBuffer>) {
  let chainIv = iv;
  return async (blocks: Uint8Array<ArrayBuffer>, last: boolean): Promise<Uint8Array<ArrayBuffer>> => {
    const out = await crypto.subtle.encrypt({ name: "AES-CBC", iv: chainIv }, key, blocks);
    const length = last ? out.byteLength : blocks.length;
    // A copy, since the consumer owns the emitted bytes and may change them.
    if (!last) chainIv = new Uint8Array(out.slice(length - BLOCK, length));
    return new Uint8Array(out, 0, length);
  };
}

/**
 * The ciphertext of `chunks` in pieces of `size` bytes (the last one padded), encrypted one piece
 * ahead: once a piece is handed out, the next is read and encrypted (WebCrypto works on other
 * threads) while the first is being sent. At most two pieces and one `size` buffer are held.
 * Returning early returns `chunks` (which cancels their source).
 * @param iv 16 bytes; read, never changed.
 * @param size Bytes per WebCrypto call, a multiple of 16.
 * @param outSize Each piece is handed out in views of at most this many bytes (no copy), so that a
 *   large `size` does not make the body's reader wait longer between chunks.
 */
export function cbcEncryptChunks(
  key: CryptoKey,
  iv: Uint8Array<ArrayBuffer>,
  chunks: AsyncIterator<Uint8Array>,
  size = DEFAULT_CHUNK_SIZE,
  outSize = size,
): Chunks {
  const encrypt = cbcChain(key, iv);
  // Filled again only once its piece is encrypted: a piece starts when the one before is done.
  let buffer: Uint8Array<ArrayBuffer> | undefined;
  let rest: Uint8Array | undefined; // the part of the last input chunk not encrypted yet
  let ended = false;
  async function piece(): Promise<IteratorResult<Uint8Array, undefined>> {
    if (ended) return { done: true, value: undefined };
    let filled = 0;
    for (;;) {
      if (rest === undefined) {
        const next = await chunks.next();
        if (next.done) {
          ended = true;
          return {
            done: false,
            value: await encrypt((buffer ?? new Uint8Array(0)).subarray(0, filled), true),
          };
        }
        rest = next.value;
      }
      let blocks: Uint8Array | undefined;
      let take = size;
      if (filled === 0 && rest.length >= size && rest.buffer instanceof ArrayBuffer) {
        blocks = rest.subarray(0, size); // WebCrypto copies its input: no copy of ours
      } else {
        buffer ??= new Uint8Array(size);
        take = Math.min(size - filled, rest.length);
        buffer.set(rest.subarray(0, take), filled);
        filled += take;
        if (filled === size) blocks = buffer;
      }
      rest = rest.length > take ? rest.subarray(take) : undefined;
      if (blocks) return { done: false, value: await encrypt(blocks as Uint8Array<ArrayBuffer>, false) };
    }
  }
  let ahead: Promise<IteratorResult<Uint8Array, undefined>> | undefined;
  let out: Uint8Array | undefined; // what is left of the piece being handed out
  return chunksOf(
    async () => {
      if (!out?.length) {
        const current = ahead ?? piece();
        ahead = current.then((next) => (next.done ? next : piece()));
        ahead.catch(() => {}); // its failure is reported by the next call, if any
        const next = await current;
        if (next.done) return next;
        out = next.value;
      }
      const view = out.subarray(0, outSize);
      out = out.subarray(outSize);
      return { done: false, value: view };
    },
    (reason) => {
      ended = true;
      return chunks.return?.(reason);
    },
  );
}

/**
 * `createCbcEncryptStream` of arguments not checked again (a write's own key and iv).
 * @param iv 16 bytes; read, never changed.
 * @param size Bytes per WebCrypto call, a multiple of 16.
 */
export function cbcEncryptStreamUnchecked(
  key: CryptoKey,
  iv: Uint8Array<ArrayBuffer>,
  size = DEFAULT_CHUNK_SIZE,
): TransformStream<Uint8Array, Uint8Array> {
  const encrypt = cbcChain(key, iv);
  let buffer: Uint8Array<ArrayBuffer> | undefined;
  let filled = 0;

  return new TransformStream<Uint8Array, Uint8Array>({
    async transform(input: Uint8Array | ArrayBufferView, controller) {
      if (!ArrayBuffer.isView(input)) {
        throw new TypeError("createCbcEncryptStream: chunks must be Uint8Arrays");
      }
      // Views from another realm (or other typed arrays) are read as bytes, not refused.
      const chunk =
        input instanceof Uint8Array
          ? input
          : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
      const direct = chunk.buffer instanceof ArrayBuffer;
      let offset = 0;
      while (offset < chunk.length) {
        if (filled === 0 && direct && chunk.length - offset >= size) {
          controller.enqueue(
            await encrypt(chunk.subarray(offset, offset + size) as Uint8Array<ArrayBuffer>, false),
          );
          offset += size;
          continue;
        }
        buffer ??= new Uint8Array(size);
        const take = Math.min(size - filled, chunk.length - offset);
        buffer.set(chunk.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === size) {
          controller.enqueue(await encrypt(buffer, false));
          filled = 0;
        }
      }
    },
    async flush(controller) {
      // The rest (possibly empty) with its padding; for input of whole blocks, this is one block.
      controller.enqueue(await encrypt(buffer ? buffer.subarray(0, filled) : new Uint8Array(0), true));
      buffer = undefined;
    },
  });
}
