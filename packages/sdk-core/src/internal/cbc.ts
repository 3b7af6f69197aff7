/**
 * AES-CBC with PKCS#7 padding on WebCrypto, one-shot or as a stream, for arguments already checked
 * (the public, checking forms are in `crypto/cbc-stream.ts`). WebCrypto's AES-CBC is one-shot and
 * always pads, so the stream encrypts whole 16-byte blocks chunk by chunk, chaining each chunk from
 * the previous one's last cipher block and dropping the padding block WebCrypto adds; only the
 * final chunk keeps it. The output is byte-identical to one-shot CBC.
 */
import { toArrayBufferBytes } from "./bytes.js";

/** The AES block size in bytes. */
export const BLOCK = 16;

/** Bytes encrypted per WebCrypto call by default: 1 MiB. */
export const DEFAULT_CHUNK_SIZE = 1_048_576;

/** `encryptCbc` of a 16-byte iv not checked again (a write's own). */
export async function cbcEncryptUnchecked(
  key: CryptoKey,
  iv: Uint8Array<ArrayBuffer>,
  data: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CBC", iv }, key, toArrayBufferBytes(data)));
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
  let chainIv = iv;
  let buffer: Uint8Array<ArrayBuffer> | undefined;
  let filled = 0;

  // Encrypts whole blocks and emits them without WebCrypto's padding block.
  async function emitBlocks(
    blocks: Uint8Array<ArrayBuffer>,
    controller: TransformStreamDefaultController<Uint8Array>,
  ) {
    const out = await crypto.subtle.encrypt({ name: "AES-CBC", iv: chainIv }, key, blocks);
    const length = blocks.length;
    // A copy, since the consumer owns the emitted bytes and may change them.
    chainIv = new Uint8Array(out.slice(length - BLOCK, length));
    controller.enqueue(new Uint8Array(out, 0, length));
  }

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
          await emitBlocks(chunk.subarray(offset, offset + size) as Uint8Array<ArrayBuffer>, controller);
          offset += size;
          continue;
        }
        buffer ??= new Uint8Array(size);
        const take = Math.min(size - filled, chunk.length - offset);
        buffer.set(chunk.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === size) {
          await emitBlocks(buffer, controller);
          filled = 0;
        }
      }
    },
    async flush(controller) {
      // The rest (possibly empty) with its padding; for input of whole blocks, this is one block.
      const rest = buffer ? buffer.subarray(0, filled) : new Uint8Array(0);
      controller.enqueue(
        new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CBC", iv: chainIv }, key, rest)),
      );
      buffer = undefined;
    },
  });
}
