/**
 * The envelope of one write request: a fresh AES-256 key and iv, the key wrapped for the postbox
 * (RSA-OAEP SHA-1) and the file descriptor encrypted with it. The protocol uses the same key and
 * iv for the metadata and the file; that is kept for compatibility.
 */
import { TypeValidationError } from "../errors.ts";
import { encodeBase64 } from "../internal/base64.ts";
import { toHex, utf8Encode } from "../internal/bytes.ts";
import { cbcEncryptUnchecked } from "../internal/cbc.ts";
import { randomBytes } from "../internal/random.ts";

/** Everything a write request needs from its envelope. */
export interface Envelope {
  /** The AES-256-CBC key (not extractable) that encrypts the file. */
  aesKey: CryptoKey;
  /** The 16-byte iv, shared by metadata and file. */
  iv: Uint8Array<ArrayBuffer>;
  /** `iv` as 32 lowercase hex characters (the JWT's `iv` claim). */
  ivHex: string;
  /** Base64 of RSA-OAEP-SHA1(postbox key, AES key) (the JWT's `symmetrical_key` claim). */
  symmetricalKey: string;
  /** Base64 of AES-256-CBC(UTF-8 JSON of the file descriptor) (the JWT's `metadata` claim). */
  metadata: string;
}

/** Input of {@link createEnvelope}. */
export interface CreateEnvelopeOptions {
  /** The postbox's public key, from `importPostboxPublicKey` (RSA-OAEP, SHA-1, usage `encrypt`). */
  publicKey: CryptoKey;
  /** The file descriptor, encrypted as `JSON.stringify(fileDescriptor)`. */
  fileDescriptor: unknown;
}

/** Input of {@link createEnvelopeWithKeyMaterial}: a fixed key and iv besides. */
export interface CreateEnvelopeWithKeyMaterialOptions extends CreateEnvelopeOptions {
  /**
   * Fixed key (32 bytes) and iv (16 bytes). For known-answer tests only: a real write must use a
   * fresh random key and iv, as {@link createEnvelope} does.
   */
  keyMaterial: { key: Uint8Array; iv: Uint8Array };
}

function invalid(path: string, message: string): TypeValidationError {
  return new TypeValidationError(`Invalid envelope input: ${path} ${message}`, {
    issues: [{ path: [path], message }],
  });
}

/**
 * Makes the envelope for one write: a new AES-256 key and iv, the key wrapped with the postbox's
 * public key, and the encrypted metadata.
 * @throws TypeValidationError when the public key is not RSA-OAEP SHA-1 with usage `encrypt` or
 *   the descriptor does not serialize to JSON; also for a `keyMaterial`, which only the unstable
 *   `createEnvelopeWithKeyMaterial` (`@digime-edge/sdk-core/internal`) takes.
 */
export async function createEnvelope(options: CreateEnvelopeOptions): Promise<Envelope> {
  if ((options as { keyMaterial?: unknown } | null)?.keyMaterial !== undefined) {
    throw invalid(
      "keyMaterial",
      "is for known-answer tests only: use createEnvelopeWithKeyMaterial from @digime-edge/sdk-core/internal",
    );
  }
  return checkedEnvelope(options);
}

/**
 * {@link createEnvelope} with a fixed key and iv, for known-answer tests only (a real write must
 * use a fresh random key and iv). Exported by `@digime-edge/sdk-core/internal`, which is unstable.
 * @throws TypeValidationError as `createEnvelope` does, or when `keyMaterial` has wrong sizes.
 */
export async function createEnvelopeWithKeyMaterial(
  options: CreateEnvelopeWithKeyMaterialOptions,
): Promise<Envelope> {
  const { keyMaterial } = options;
  if (keyMaterial?.key?.length !== 32 || keyMaterial.iv?.length !== 16) {
    throw invalid("keyMaterial", "must hold a 32-byte key and a 16-byte iv");
  }
  return checkedEnvelope(options, keyMaterial);
}

async function checkedEnvelope(
  options: CreateEnvelopeOptions,
  keyMaterial?: { key: Uint8Array; iv: Uint8Array },
): Promise<Envelope> {
  const { publicKey, fileDescriptor } = options;
  const algorithm = publicKey?.algorithm as Partial<RsaHashedKeyAlgorithm> | undefined;
  // Another OAEP hash would still encrypt, but digi.me could not unwrap the key.
  if (
    algorithm?.name !== "RSA-OAEP" ||
    algorithm.hash?.name !== "SHA-1" ||
    !publicKey.usages.includes("encrypt")
  ) {
    throw invalid("publicKey", "must be an RSA-OAEP SHA-1 key with usage encrypt");
  }
  // Copies: the caller's key material is left alone (and our copy of the key is wiped).
  return envelopeFor(
    publicKey,
    fileDescriptor,
    keyMaterial && { key: new Uint8Array(keyMaterial.key), iv: keyMaterial.iv },
  );
}

/**
 * The envelope of `fileDescriptor` for `publicKey` (a postbox key imported by this SDK), with a
 * fresh random key and iv unless given. A given `key` is wiped like a random one. With `file`,
 * its ciphertext too (`body`), encrypted alongside the metadata rather than after it.
 * @throws TypeValidationError when the descriptor does not serialize to JSON.
 */
export async function envelopeFor(
  publicKey: CryptoKey,
  fileDescriptor: unknown,
  given: { key?: Uint8Array; iv?: Uint8Array; file?: Uint8Array } = {},
): Promise<Envelope & { body?: Uint8Array<ArrayBuffer> }> {
  const { key = randomBytes(32), iv: ivBytes = randomBytes(16), file } = given;
  let json: string | undefined;
  try {
    json = JSON.stringify(fileDescriptor);
  } catch {
    // BigInts and cycles throw; their values are not echoed.
  }
  if (typeof json !== "string") throw invalid("fileDescriptor", "must serialize to JSON");
  const iv = new Uint8Array(ivBytes);
  try {
    // The key's wrapping, the metadata and the file at once: each is a WebCrypto job of its own.
    const [wrapped, [aesKey, metadata, body]] = await Promise.all([
      crypto.subtle.encrypt({ name: "RSA-OAEP" }, publicKey, key as Uint8Array<ArrayBuffer>),
      crypto.subtle
        .importKey("raw", key as Uint8Array<ArrayBuffer>, { name: "AES-CBC" }, false, ["encrypt"])
        .then((aesKey) =>
          Promise.all([
            aesKey,
            cbcEncryptUnchecked(aesKey, iv, utf8Encode(json)),
            file && cbcEncryptUnchecked(aesKey, iv, file),
          ]),
        ),
    ]);
    return {
      aesKey,
      iv,
      ivHex: toHex(iv),
      symmetricalKey: encodeBase64(new Uint8Array(wrapped)),
      metadata: encodeBase64(metadata),
      ...(body && { body }),
    };
  } finally {
    // The raw key is no longer needed once imported and wrapped.
    key.fill(0);
  }
}
