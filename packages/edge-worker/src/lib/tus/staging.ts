/**
 * The Worker's side of staging in R2: a PATCH's bytes cut into parts of exactly
 * {@link STAGING_PART_BYTES} (R2's multipart upload wants equal parts but the last, of at least
 * 5 MiB), what is left at the PATCH's end kept as a "tail" object until the next PATCH, and the
 * staged object read back as a stream for delivery. Plain and import uploads are sealed piece by
 * piece with the upload's key (`staging-cipher.ts`); sealed ones are ciphertext already and are
 * staged as they come. Memory: one part's buffer (and its sealed copy) per PATCH.
 */
import { openPiece, SEAL_OVERHEAD, sealPiece } from "./staging-cipher.ts";
import { STAGING_PART_BYTES, type StagedPart, type StagedUpload, tailKey } from "./upload-state.ts";

/** Where the stager records progress: the user's vault, for the PATCH's lock. */
export interface StagingLedger {
  /** Records every part staged and the tail's size; answers the tail key to delete, if any. */
  record(staged: { parts: StagedPart[]; tailBytes: number }): Promise<{ staleTail?: string }>;
}

const partAad = (id: string, n: number) => `${id}:part:${n}`;
const tailAad = (id: string, parts: number, bytes: number) => `${id}:tail:${parts}:${bytes}`;

/** One PATCH's staging: takes the body's chunks in order, stages whole parts, keeps the rest. */
export class PatchStager {
  readonly #bucket: R2Bucket;
  readonly #upload: StagedUpload;
  readonly #key: CryptoKey | undefined;
  readonly #ledger: StagingLedger;
  readonly #multipart: R2MultipartUpload;
  readonly #parts: StagedPart[];
  readonly #buffer = new Uint8Array(STAGING_PART_BYTES);
  #fill = 0;
  /** Bytes of the upload staged or buffered so far (the upload's offset when this PATCH ends). */
  offset: number;

  /**
   * @param bucket - `TUS_STAGING`.
   * @param upload - The upload as its lock gave it.
   * @param key - The staging key (plain, import); absent for sealed uploads.
   * @param ledger - Records progress in the vault.
   */
  constructor(bucket: R2Bucket, upload: StagedUpload, key: CryptoKey | undefined, ledger: StagingLedger) {
    this.#bucket = bucket;
    this.#upload = upload;
    this.#key = key;
    this.#ledger = ledger;
    this.#multipart = bucket.resumeMultipartUpload(upload.r2Key, upload.r2UploadId);
    this.#parts = [...upload.parts];
    this.offset = upload.offset;
  }

  /** Loads the tail the last PATCH left into the part buffer. */
  async open(): Promise<void> {
    const { tailBytes } = this.#upload;
    if (tailBytes === 0) return;
    const n = this.#parts.length;
    const object = await this.#bucket.get(tailKey(this.#upload, n, tailBytes));
    if (!object) throw new Error("the staged tail is missing");
    let bytes = new Uint8Array(await object.arrayBuffer());
    if (this.#key) bytes = await openPiece(this.#key, bytes, tailAad(this.#upload.id, n, tailBytes));
    if (bytes.length !== tailBytes) throw new Error("the staged tail has the wrong size");
    this.#buffer.set(bytes);
    this.#fill = tailBytes;
  }

  /**
   * Takes the next chunk of the body: whole parts go to R2 (and are recorded) as they fill.
   *
   * @param chunk - Bytes that follow the upload's offset.
   */
  async push(chunk: Uint8Array): Promise<void> {
    let at = 0;
    while (at < chunk.length) {
      const take = Math.min(chunk.length - at, STAGING_PART_BYTES - this.#fill);
      this.#buffer.set(chunk.subarray(at, at + take), this.#fill);
      this.#fill += take;
      at += take;
      this.offset += take;
      if (this.#fill === STAGING_PART_BYTES) {
        await this.#stagePart();
        await this.#record(0);
      }
    }
  }

  async #stagePart(): Promise<void> {
    const n = this.#parts.length + 1;
    const plain = this.#buffer.subarray(0, this.#fill);
    const body = this.#key ? await sealPiece(this.#key, plain, partAad(this.#upload.id, n)) : plain;
    const part = await this.#multipart.uploadPart(n, body);
    this.#parts.push({ partNumber: part.partNumber, etag: part.etag });
    this.#fill = 0;
  }

  async #record(tailBytes: number): Promise<void> {
    const { staleTail } = await this.#ledger.record({ parts: this.#parts, tailBytes });
    if (staleTail) await this.#bucket.delete(staleTail);
  }

  /** Keeps the bytes short of a part as the tail (at the PATCH's end, or when it was cut off). */
  async saveTail(): Promise<void> {
    const n = this.#parts.length;
    if (this.#fill === 0) return this.#record(0);
    const plain = this.#buffer.subarray(0, this.#fill);
    const body = this.#key
      ? await sealPiece(this.#key, plain, tailAad(this.#upload.id, n, this.#fill))
      : plain;
    await this.#bucket.put(tailKey(this.#upload, n, this.#fill), body);
    await this.#record(this.#fill);
  }

  /** Stages the last part and completes R2's multipart upload (every byte has come). */
  async complete(): Promise<void> {
    if (this.#fill > 0) await this.#stagePart();
    await this.#record(0);
    await this.#multipart.complete(this.#parts);
  }
}

/**
 * A completed plain or import upload's staged object as its plaintext, decrypted part by part (one
 * ranged read each, one part in memory), in the shape of a `Blob`, so that sdk-core knows its size
 * and can read it again after a token refresh (each `stream()` reads R2 afresh).
 *
 * @param bucket - `TUS_STAGING`.
 * @param upload - The upload (complete).
 * @param key - The staging key.
 */
export function stagedPlaintext(
  bucket: R2Bucket,
  upload: Pick<StagedUpload, "id" | "r2Key" | "length">,
  key: CryptoKey,
): Blob {
  const parts = Math.ceil(upload.length / STAGING_PART_BYTES);
  const stream = (): ReadableStream<Uint8Array> => {
    let n = 0;
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (n === parts) return controller.close();
          const plainSize = Math.min(STAGING_PART_BYTES, upload.length - n * STAGING_PART_BYTES);
          const object = await bucket.get(upload.r2Key, {
            range: { offset: n * (STAGING_PART_BYTES + SEAL_OVERHEAD), length: plainSize + SEAL_OVERHEAD },
          });
          if (!object) throw new Error("the staged object is missing");
          n += 1;
          const piece = new Uint8Array(await object.arrayBuffer());
          controller.enqueue(await openPiece(key, piece, partAad(upload.id, n)));
        },
      },
      { highWaterMark: 0 },
    );
  };
  const blob = {
    size: upload.length,
    type: "application/octet-stream",
    stream,
    arrayBuffer: () => new Response(stream()).arrayBuffer(),
  };
  return blob as unknown as Blob;
}
