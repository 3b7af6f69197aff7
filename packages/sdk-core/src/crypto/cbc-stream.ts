/**
 * AES-CBC with PKCS#7 padding on WebCrypto, one-shot or as a stream. WebCrypto's AES-CBC is
 * one-shot and always pads, so the stream encrypts whole 16-byte blocks chunk by chunk, chaining
 * each chunk from the previous one's last cipher block and dropping the padding block WebCrypto
 * adds; only the final chunk keeps it. The output is byte-identical to one-shot CBC.
 */
import { TypeValidationError } from "../errors.js";
import { toArrayBufferBytes } from "../internal/bytes.js";

const BLOCK = 16;
const DEFAULT_CHUNK_SIZE = 1_048_576; // 1 MiB

/** Options of {@link createCbcEncryptStream}. */
export interface CbcEncryptStreamOptions {
  /**
   * Bytes encrypted per WebCrypto call (rounded down to whole blocks, at least one block).
   * Larger chunks mean fewer calls and more memory. Default 1 MiB.
   */
  chunkSize?: number;
}

function checkIv(iv: Uint8Array): Uint8Array<ArrayBuffer> {
  if (!(iv instanceof Uint8Array) || iv.length !== BLOCK) {
    throw new TypeValidationError("AES-CBC iv must be 16 bytes", {
      issues: [{ path: ["iv"], message: "16 bytes" }],
    });
  }
  return new Uint8Array(iv);
}

/** Size of the AES-CBC ciphertext (PKCS#7 padded) of `plainSize` bytes: `(floor(n/16)+1)*16`. */
export function cbcCiphertextSize(plainSize: number): number {
  if (!Number.isSafeInteger(plainSize) || plainSize < 0) {
    throw new RangeError("cbcCiphertextSize: plainSize must be a non-negative integer");
  }
  return (Math.floor(plainSize / BLOCK) + 1) * BLOCK;
}

/**
 * Encrypts `data` in one call: AES-CBC with PKCS#7 padding.
 * @param key An AES-CBC key with usage `encrypt`.
 * @param iv 16 bytes.
 */
export async function encryptCbc(
  key: CryptoKey,
  iv: Uint8Array,
  data: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  return cbcEncrypt(key, checkIv(iv), data);
}

/** {@link encryptCbc} of a checked 16-byte iv (a write's own). */
export async function cbcEncrypt(
  key: CryptoKey,
  iv: Uint8Array<ArrayBuffer>,
  data: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CBC", iv }, key, toArrayBufferBytes(data)));
}

/**
 * A stream that encrypts what is written to it with AES-CBC and PKCS#7 padding, as it flows: it
 * holds at most one chunk of plaintext, never the whole input. Input chunks of at least `chunkSize`
 * bytes are encrypted in place, without a copy. Output chunks are whole blocks, the last one padded.
 * @param key An AES-CBC key with usage `encrypt`.
 * @param iv 16 bytes.
 */
export function createCbcEncryptStream(
  key: CryptoKey,
  iv: Uint8Array,
  options: CbcEncryptStreamOptions = {},
): TransformStream<Uint8Array, Uint8Array> {
  const { chunkSize = DEFAULT_CHUNK_SIZE } = options;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < BLOCK) {
    throw new TypeValidationError("chunkSize must be an integer of at least 16", {
      issues: [{ path: ["chunkSize"], message: "an integer of at least 16" }],
    });
  }
  return cbcEncryptStream(key, checkIv(iv), chunkSize - (chunkSize % BLOCK));
}

/**
 * {@link createCbcEncryptStream} of checked arguments (a write's own key and iv).
 * @param iv 16 bytes; read, never changed.
 * @param size Bytes per WebCrypto call, a multiple of 16.
 */
export function cbcEncryptStream(
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
