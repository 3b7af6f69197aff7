/**
 * RSA keys from PEM (PKCS#1 or PKCS#8/SPKI) or JWK to WebCrypto `CryptoKey`s, with a small cache.
 * No error message ever contains key material.
 */
import { TypeValidationError } from "../errors.ts";
import { decodeBase64Url, encodeBase64Url } from "../internal/base64.ts";
import { utf8Encode } from "../internal/bytes.ts";
import {
  isRsaPublicKeyShape,
  rsaModulusBytes,
  wrapPkcs1PrivateKey,
  wrapPkcs1PublicKey,
} from "../internal/der.ts";
import { parsePem } from "./pem.ts";

/** A verification key: an RSA public key in PEM, or the RSA members of a JWK. */
export type VerificationKeyInput = { pem: string } | { kty: "RSA"; n: string; e: string };

// The algorithm each use imports as. Separate constants, so that a bundle holds only its own.
const PSS = { name: "RSA-PSS", hash: "SHA-512" };
const OAEP = { name: "RSA-OAEP", hash: "SHA-1" };
// The smallest modulus that can do each job (RFC 8017); a smaller key imports, then fails when used.
// PS512 with a 64-byte salt needs an encoded message of 64 + 64 + 2 bytes (9.1.1): 1034 bits.
const PSS_MIN_BITS = 1034;
// OAEP with SHA-1 around a 32-byte AES key needs 32 + 2 * 20 + 2 bytes (7.1.1): 585 bits.
const OAEP_MIN_BITS = 585;
// A contract's private key stays inside WebCrypto: nothing can export it.
const EXTRACTABLE_PRIVATE = false;

const CACHE_SIZE = 64;
// A private key is keyed by a SHA-256 of its text, so the cache never holds its PEM (a write finds
// it first by the caller's own object: `contractKey` in input-keys.ts); a public key
// (no secret) by its use and text, found without a WebCrypto round trip. Promises are cached so
// that concurrent imports of one key share a single importKey call.
const cache = new Map<string, Promise<CryptoKey>>();

// `cause` is the SDK's own error (PEM or DER), never WebCrypto's, whose message is not ours.
function importError(what: string, cause?: TypeValidationError): TypeValidationError {
  return new TypeValidationError(`Could not import the ${what}`, { code: "KEY_IMPORT", cause });
}

/** The import of the key `id` names: the cached promise, or `load`'s, then cached. */
function cached(id: string, load: () => Promise<CryptoKey>): Promise<CryptoKey> {
  let pending = cache.get(id);
  // A failure is not kept (unless a newer import of the same text took its place): one handler,
  // attached when the import starts.
  if (!pending) {
    pending = load();
    pending.catch(() => cache.get(id) === pending && cache.delete(id));
  }
  // Most recently used last; the least recently used goes when the cache is full.
  cache.delete(id);
  cache.set(id, pending);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return pending;
}

async function importAs(
  format: "pkcs8" | "spki" | "jwk",
  data: BufferSource | JsonWebKey,
  what: string,
  algorithm: RsaHashedImportParams,
  usage: KeyUsage,
  minBits = 0,
  extractable = true,
) {
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey(format as "jwk", data as JsonWebKey, algorithm, extractable, [usage]);
  } catch {
    // WebCrypto's own message is dropped: it is not ours to vouch for.
    throw importError(`${what}: not a valid RSA key`);
  }
  const bits = (key.algorithm as RsaHashedKeyAlgorithm).modulusLength;
  if (bits < minBits) throw importError(`${what}: a ${bits}-bit key is too small`);
  return key;
}

/**
 * The DER of the PEM key `pem` in the form WebCrypto imports: labelled `labels[1]`, as it is;
 * labelled `labels[0]` (PKCS#1), wrapped by `wrap`.
 */
function keyDer(
  pem: string,
  what: string,
  labels: readonly [string, string],
  wrap: (pkcs1: Uint8Array) => Uint8Array<ArrayBuffer>,
): Uint8Array<ArrayBuffer> {
  let block: ReturnType<typeof parsePem>;
  try {
    block = parsePem(pem);
  } catch (error) {
    throw importError(`${what}: not a PEM block`, error as TypeValidationError);
  }
  if (block.label === labels[1]) return block.der;
  if (block.label !== labels[0]) throw importError(`${what}: expected a PEM labelled ${labels.join(" or ")}`);
  try {
    return wrap(block.der);
  } catch (error) {
    throw importError(`${what}: malformed key`, error as TypeValidationError);
  }
}

/** The PEM labels a public key may have: PKCS#1 `RSA PUBLIC KEY` or SPKI `PUBLIC KEY`. */
const PUBLIC_LABELS = ["RSA PUBLIC KEY", "PUBLIC KEY"] as const;

const publicKeySpki = (pem: string, what: string) => keyDer(pem, what, PUBLIC_LABELS, wrapPkcs1PublicKey);

/**
 * Imports a contract's private key (PEM: PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`) for
 * signing request JWTs: RSA-PSS with SHA-512, usage `sign`, not extractable. Cached.
 * @throws TypeValidationError (code `KEY_IMPORT`) when the PEM is not such a key.
 */
export async function importContractPrivateKey(pem: string): Promise<CryptoKey> {
  const what = "contract private key";
  // An id no public key's can be: theirs begin with their use.
  const id = encodeBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8Encode(pem))));
  return cached(id, async () =>
    importAs(
      "pkcs8",
      keyDer(pem, what, ["RSA PRIVATE KEY", "PRIVATE KEY"], wrapPkcs1PrivateKey),
      what,
      PSS,
      "sign",
      PSS_MIN_BITS,
      EXTRACTABLE_PRIVATE,
    ),
  );
}

/**
 * Imports a postbox's public key (PEM: PKCS#1 `RSA PUBLIC KEY` or SPKI `PUBLIC KEY`) for wrapping
 * envelope keys: RSA-OAEP with SHA-1, usage `encrypt`. Cached.
 * @throws TypeValidationError (code `KEY_IMPORT`) when the PEM is not such a key.
 */
export function importPostboxPublicKey(pem: string): Promise<CryptoKey> {
  const what = "postbox public key";
  return cached(`postbox${pem}`, async () =>
    importAs("spki", publicKeySpki(pem, what), what, OAEP, "encrypt", OAEP_MIN_BITS),
  );
}

/**
 * Imports a key that verifies digi.me's response tokens (RSA-PSS with SHA-512, usage `verify`):
 * a key set entry's `pem` (PKCS#1 or SPKI), or its JWK members `kty`, `n`, `e`. Cached.
 * @throws TypeValidationError (code `KEY_IMPORT`) when the input is not such a key.
 */
export function importVerificationKey(key: VerificationKeyInput): Promise<CryptoKey> {
  const what = "verification key";
  if (typeof key === "object" && key !== null && "pem" in key) {
    const { pem } = key;
    return cached(`verification pem\0${pem}`, async () =>
      importAs("spki", publicKeySpki(pem, what), what, PSS, "verify"),
    );
  }
  const { kty, n, e } = (key ?? {}) as Partial<{ kty: unknown; n: unknown; e: unknown }>;
  if (kty !== "RSA" || typeof n !== "string" || typeof e !== "string" || !isRsaJwk(n, e)) {
    return Promise.reject(importError(`${what}: not { pem } or an RSA JWK`));
  }
  return cached(`verification jwk\0${n}\0${e}`, async () =>
    importAs("jwk", { kty, n, e }, what, PSS, "verify"),
  );
}

/**
 * Byte length of the modulus of a public key in PEM (PKCS#1 or SPKI): 256 for a 2048-bit key.
 * @throws TypeValidationError (code `KEY_IMPORT`) when the PEM is not an RSA public key.
 */
export function postboxKeyModulusBytes(pem: string): number {
  const what = "postbox public key";
  const spki = publicKeySpki(pem, what);
  try {
    return rsaModulusBytes(spki);
  } catch (error) {
    throw importError(`${what}: malformed key`, error as TypeValidationError);
  }
}

function isRsaJwk(n: string, e: string): boolean {
  try {
    return isRsaPublicKeyShape(decodeBase64Url(n), decodeBase64Url(e));
  } catch {
    return false;
  }
}
