/**
 * The Worker's side of staging in R2: a PATCH's bytes cut into parts of exactly
 * {@link STAGING_PART_BYTES} (R2's multipart upload wants equal parts but the last, of at least
 * 5 MiB), what is left at the PATCH's end kept as a "tail" object until the next PATCH, and the
 * staged object read back as a stream for delivery. Plain and import uploads are sealed piece by
 * piece with the upload's key (`staging-cipher.ts`); sealed ones are ciphertext already and are
 * staged as they come. Memory: one part's buffer (and its sealed copy) per PATCH.
 *
 * R2 failing returns 503 `STAGING_UNAVAILABLE` ({@link stagingUnavailable}); what the vault recorded
 * before stands, so HEAD gives the offset to resume from. The part that ends the upload is never
 * recorded before R2's multipart upload is completed: until then the offset stays short of the
 * length, and the client sends the last bytes again (the PATCH that delivers).
 */
import { ApiError } from "../../errors.ts";
import { openPiece, SEAL_OVERHEAD, sealPiece } from "./staging-cipher.ts";
import { logStagingFailure } from "./upload-cleanup.ts";
import { STAGING_PART_BYTES, type StagedPart, type StagedUpload, tailKey } from "./upload-types.ts";

/** Where the stager records progress: the user's vault, for the PATCH's lock. */
export interface StagingLedger {
  /** Records every part staged and the tail's size; returns the tail key to delete, if any. */
  record(staged: { parts: StagedPart[]; tailBytes: number }): Promise<{ staleTail?: string }>;
}

/** `Retry-After` (seconds) when R2 failed. */
export const STAGING_RETRY_AFTER_SECONDS = 5;

/**
 * The error when R2 failed: 503, to try again shortly (tus clients retry a 5xx).
 *
 * @param cause - R2's error (logged by name only).
 */
export function stagingUnavailable(cause: unknown): ApiError {
  return new ApiError(
    503,
    "STAGING_UNAVAILABLE",
    "the upload's storage failed; HEAD the upload and resume it shortly",
    { headers: { "Retry-After": String(STAGING_RETRY_AFTER_SECONDS) }, cause },
  );
}

/**
 * Runs an R2 call; its failure becomes {@link stagingUnavailable}.
 *
 * @param call - The R2 call.
 */
export async function r2<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw error instanceof ApiError ? error : stagingUnavailable(error);
  }
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
  #parts: StagedPart[];
  readonly #buffer = new Uint8Array(STAGING_PART_BYTES);
  #fill = 0;
  readonly #deferRecords: boolean;
  /** Bytes of the upload staged or buffered so far (the upload's offset when this PATCH ends). */
  offset: number;

  /**
   * @param bucket - `TUS_STAGING`.
   * @param upload - The upload as its lock gave it.
   * @param key - The staging key (plain, import); absent for sealed uploads.
   * @param ledger - Records progress in the vault.
   * @param options - `deferRecords`: record the parts only at the PATCH's end (`saveTail`,
   *   `complete`), so that a body found bad at its end (a checksum) leaves nothing recorded.
   */
  constructor(
    bucket: R2Bucket,
    upload: StagedUpload,
    key: CryptoKey | undefined,
    ledger: StagingLedger,
    options: { deferRecords?: boolean } = {},
  ) {
    this.#deferRecords = options.deferRecords ?? false;
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
    const stored = await r2(async () => {
      const object = await this.#bucket.get(tailKey(this.#upload, n, tailBytes));
      return object ? new Uint8Array(await object.arrayBuffer()) : undefined;
    });
    if (!stored) throw new Error("the staged tail is missing");
    let bytes = stored;
    if (this.#key) bytes = await openPiece(this.#key, bytes, tailAad(this.#upload.id, n, tailBytes));
    if (bytes.length !== tailBytes) throw new Error("the staged tail has the wrong size");
    this.#buffer.set(bytes);
    this.#fill = tailBytes;
  }

  /**
   * Takes the next chunk of the body: whole parts go to R2 (and are recorded) as they fill, but
   * the one that ends the upload, which {@link PatchStager.complete} stages.
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
      if (this.#fill === STAGING_PART_BYTES && this.offset < this.#upload.length) {
        this.#parts.push(await this.#stagePart(this.#parts.length + 1));
        this.#fill = 0;
        if (!this.#deferRecords) await this.#record(0);
      }
    }
  }

  /** Stages the buffer as part `n` (the buffer is kept until the caller empties it). */
  async #stagePart(n: number): Promise<StagedPart> {
    const plain = this.#buffer.subarray(0, this.#fill);
    const body = this.#key ? await sealPiece(this.#key, plain, partAad(this.#upload.id, n)) : plain;
    const part = await r2(() => this.#multipart.uploadPart(n, body));
    return { partNumber: part.partNumber, etag: part.etag };
  }

  async #record(tailBytes: number): Promise<void> {
    const { staleTail } = await this.#ledger.record({ parts: this.#parts, tailBytes });
    // A tail left behind is deleted with the upload (every tail shares its key's prefix).
    if (staleTail) await this.#bucket.delete(staleTail).catch(logStagingFailure);
  }

  /**
   * Keeps the bytes short of a part as the tail (at the PATCH's end, or when it was cut off). When
   * every byte has come, nothing more is recorded: only {@link PatchStager.complete} records the
   * end of an upload, so after a failed completion the client sends the last bytes again.
   */
  async saveTail(): Promise<void> {
    if (this.offset === this.#upload.length) return;
    const n = this.#parts.length;
    if (this.#fill === 0) return this.#record(0);
    const plain = this.#buffer.subarray(0, this.#fill);
    const body = this.#key
      ? await sealPiece(this.#key, plain, tailAad(this.#upload.id, n, this.#fill))
      : plain;
    await r2(() => this.#bucket.put(tailKey(this.#upload, n, this.#fill), body));
    await this.#record(this.#fill);
  }

  /**
   * Stages the last part and completes R2's multipart upload (every byte has come), then records
   * the upload's end. A completion R2 reports failed but made (the object exists) counts as made.
   */
  async complete(): Promise<void> {
    const parts = [...this.#parts];
    if (this.#fill > 0) parts.push(await this.#stagePart(parts.length + 1));
    try {
      await r2(() => this.#multipart.complete(parts));
    } catch (error) {
      const made = await this.#bucket.head(this.#upload.r2Key).catch(() => null);
      if (!made) throw error;
    }
    this.#parts = parts;
    this.#fill = 0;
    await this.#record(0);
  }
}

/** Turns chunks into the stream a delivery sends (`UploadRun.stream`: a failure aborts the send). */
export type ChunkStream = (chunks: AsyncIterator<Uint8Array>) => ReadableStream<Uint8Array>;

/** `length` bytes at `offset` of the staged object (one ranged read); R2 failing throws {@link stagingUnavailable}. */
async function stagedRange(
  bucket: R2Bucket,
  r2Key: string,
  offset: number,
  length: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = await r2(async () => {
    const object = await bucket.get(r2Key, { range: { offset, length } });
    return object ? new Uint8Array(await object.arrayBuffer()) : undefined;
  });
  if (!bytes) throw new ApiError(500, "INTERNAL", "the staged upload is missing");
  return bytes;
}

/**
 * A completed sealed upload's staged object, a part's size at a time (one ranged read each: a few
 * large chunks for sdk-core rather than R2's many small ones); R2 failing throws
 * {@link stagingUnavailable}.
 *
 * @param bucket - `TUS_STAGING`.
 * @param upload - The upload (complete).
 */
export async function* stagedCiphertext(
  bucket: R2Bucket,
  upload: Pick<StagedUpload, "r2Key" | "length">,
): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < upload.length; at += STAGING_PART_BYTES)
    yield await stagedRange(bucket, upload.r2Key, at, Math.min(STAGING_PART_BYTES, upload.length - at));
}

/**
 * A completed plain or import upload's staged object as its plaintext, decrypted part by part (one
 * ranged read each, one part in memory), in the shape of a `Blob`, so that sdk-core knows its size
 * and can read it again after a token refresh (each `stream()` reads R2 afresh). R2 failing
 * throws {@link stagingUnavailable} into `toStream`'s chunks.
 *
 * @param bucket - `TUS_STAGING`.
 * @param upload - The upload (complete).
 * @param key - The staging key.
 * @param toStream - Makes each read's stream of the decrypted parts.
 */
export function stagedPlaintext(
  bucket: R2Bucket,
  upload: Pick<StagedUpload, "id" | "r2Key" | "length">,
  key: CryptoKey,
  toStream: ChunkStream,
): Blob {
  const parts = Math.ceil(upload.length / STAGING_PART_BYTES);
  async function* pieces(): AsyncGenerator<Uint8Array> {
    for (let n = 0; n < parts; n++) {
      const plainSize = Math.min(STAGING_PART_BYTES, upload.length - n * STAGING_PART_BYTES);
      const offset = n * (STAGING_PART_BYTES + SEAL_OVERHEAD);
      const piece = await stagedRange(bucket, upload.r2Key, offset, plainSize + SEAL_OVERHEAD);
      yield await openPiece(key, piece, partAad(upload.id, n + 1));
    }
  }
  const stream = () => toStream(pieces());
  const blob = {
    size: upload.length,
    type: "application/octet-stream",
    stream,
    arrayBuffer: () => new Response(stream()).arrayBuffer(),
  };
  return blob as unknown as Blob;
}
