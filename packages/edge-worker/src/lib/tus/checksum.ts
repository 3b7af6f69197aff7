/**
 * The tus checksum extension: a PATCH may carry `Upload-Checksum: sha1 <base64 of its body's
 * SHA-1>`; the Worker hashes the body as it streams through (workerd's `crypto.DigestStream`, no
 * copy held) and keeps its bytes only when the digest matches (else 460 `CHECKSUM_MISMATCH`, and
 * the offset stays where it was). SHA-1 is what tus clients send (tus-js-client's Uppy plugins,
 * tusd); it guards against damage on the way, not against an attacker, who could send any bytes
 * with their own checksum anyway.
 */
import { decodeBase64 } from "@digime-edge/sdk-core/internal";
import { ApiError } from "../../errors.ts";

/** The checksum algorithms served (`Tus-Checksum-Algorithm`). */
export const TUS_CHECKSUM_ALGORITHMS = "sha1";

/** A PATCH body's running checksum. */
export interface BodyChecksum {
  /** Hashes the next chunk of the body (before the next is read: chunks may share a buffer). */
  update(chunk: Uint8Array): Promise<void>;
  /** Whether the whole body hashed to the expected digest. */
  matches(): Promise<boolean>;
}

const badChecksum = () =>
  new ApiError(
    400,
    "BAD_UPLOAD_CHECKSUM",
    "send Upload-Checksum as `sha1 ` and the base64 of the body's SHA-1 (the only algorithm served)",
  );

/**
 * The checksum a PATCH declares (`Upload-Checksum`), ready to hash its body; `undefined` without
 * one. 400 `BAD_UPLOAD_CHECKSUM` for an algorithm other than `sha1` (as tus asks) or a value that
 * is not the standard base64 of 20 bytes.
 *
 * @param header - The `Upload-Checksum` header.
 */
export function bodyChecksum(header: string | undefined): BodyChecksum | undefined {
  if (header === undefined) return undefined;
  const [algorithm, value, ...rest] = header.trim().split(" ");
  if (algorithm !== "sha1" || value === undefined || rest.length > 0) throw badChecksum();
  let expected: Uint8Array;
  try {
    expected = decodeBase64(value);
  } catch {
    throw badChecksum();
  }
  if (expected.length !== 20) throw badChecksum();
  // workerd's own; typed through its class, as Node's `crypto` type (the Node tests') lacks it.
  const digest = new (crypto as unknown as { DigestStream: typeof DigestStream }).DigestStream("SHA-1");
  const writer = digest.getWriter();
  return {
    update: (chunk) => writer.write(chunk),
    async matches() {
      await writer.close();
      const actual = new Uint8Array(await digest.digest);
      return actual.every((byte, i) => byte === expected[i]);
    },
  };
}

/** 460 `CHECKSUM_MISMATCH`: the body's bytes were not kept. */
export const checksumMismatch = () =>
  new ApiError(
    460 as 400,
    "CHECKSUM_MISMATCH",
    "the body does not match Upload-Checksum: nothing of it was kept; send it again",
  );
