/**
 * RSA keys from PEM (PKCS#1 or PKCS#8/SPKI) or JWK to WebCrypto `CryptoKey`s, with a small cache.
 * No error message ever contains key material.
 */
import { TypeValidationError } from "../errors.js";
import { decodeBase64Url } from "../internal/base64.js";
import { toHex, utf8Encode } from "../internal/bytes.js";
import {
  isRsaPublicKeyShape,
  rsaModulusBytes,
  wrapPkcs1PrivateKey,
  wrapPkcs1PublicKey,
} from "../internal/der.js";
import { parsePem } from "./pem.js";

/** A verification key: an RSA public key in PEM, or the RSA members of a JWK. */
export type VerificationKeyInput = { pem: string } | { kty: "RSA"; n: string; e: string };

type RsaImportParams = RsaHashedImportParams & { name: "RSA-PSS" | "RSA-OAEP" };

// What each use imports as; read in one place.
const KEY_USES = {
  contract: { algorithm: { name: "RSA-PSS", hash: "SHA-512" }, usage: "sign", extractable: false },
  postbox: { algorithm: { name: "RSA-OAEP", hash: "SHA-1" }, usage: "encrypt", extractable: true },
  verification: { algorithm: { name: "RSA-PSS", hash: "SHA-512" }, usage: "verify", extractable: true },
} as const satisfies Record<string, { algorithm: RsaImportParams; usage: KeyUsage; extractable: boolean }>;

type KeyUse = keyof typeof KEY_USES;

// The smallest modulus that can do each job (RFC 8017): PS512 with a 64-byte salt needs an encoded
// message of 64 + 64 + 2 bytes (9.1.1), so 1034 bits; OAEP with SHA-1 around a 32-byte AES key
// needs 32 + 2 * 20 + 2 bytes (7.1.1), so 585 bits. A smaller key imports, then fails when used.
const MIN_MODULUS_BITS: Record<KeyUse, number> = { contract: 1034, postbox: 585, verification: 0 };

const CACHE_SIZE = 64;
// Keyed by a SHA-256 of the key text, so the cache never holds a private key's PEM. Promises are
// cached so that concurrent imports of one key share a single importKey call.
const cache = new Map<string, Promise<CryptoKey>>();

function importError(what: string, cause?: unknown): TypeValidationError {
  return new TypeValidationError(`Could not import the ${what}`, {
    code: "KEY_IMPORT",
    ...(cause instanceof TypeValidationError ? { cause } : {}),
  });
}

async function cached(use: KeyUse, text: string, load: () => Promise<CryptoKey>): Promise<CryptoKey> {
  const digest = await crypto.subtle.digest("SHA-256", utf8Encode(`${use}\0${text}`));
  const id = toHex(new Uint8Array(digest));
  const hit = cache.get(id);
  if (hit) {
    cache.delete(id);
    cache.set(id, hit);
    return hit;
  }
  const pending = load();
  cache.set(id, pending);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  pending.catch(() => {
    if (cache.get(id) === pending) cache.delete(id);
  });
  return pending;
}

async function importDer(use: KeyUse, format: "pkcs8" | "spki", der: Uint8Array<ArrayBuffer>, what: string) {
  const { algorithm, usage, extractable } = KEY_USES[use];
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey(format, der, algorithm, extractable, [usage]);
  } catch {
    // WebCrypto's own message is dropped: it is not ours to vouch for.
    throw importError(`${what}: the key data is not a valid RSA key`);
  }
  const bits = (key.algorithm as RsaHashedKeyAlgorithm).modulusLength;
  if (bits < MIN_MODULUS_BITS[use]) {
    throw importError(`${what}: a ${bits}-bit key is too small (at least ${MIN_MODULUS_BITS[use]} bits)`);
  }
  return key;
}

function readPem(pem: string, labels: Record<string, "pkcs1" | "plain">, what: string) {
  let block: ReturnType<typeof parsePem>;
  try {
    block = parsePem(pem);
  } catch (error) {
    throw importError(`${what}: not a PEM block`, error);
  }
  const form = labels[block.label];
  if (form === undefined) {
    throw importError(`${what}: expected a PEM labelled ${Object.keys(labels).join(" or ")}`);
  }
  return { der: block.der, form };
}

/** The PEM labels a public key may have: PKCS#1 `RSA PUBLIC KEY` or SPKI `PUBLIC KEY`. */
const PUBLIC_LABELS = { "RSA PUBLIC KEY": "pkcs1", "PUBLIC KEY": "plain" } as const;

function publicKeySpki(pem: string, what: string): Uint8Array<ArrayBuffer> {
  const { der, form } = readPem(pem, PUBLIC_LABELS, what);
  try {
    return form === "pkcs1" ? wrapPkcs1PublicKey(der) : der;
  } catch (error) {
    throw importError(`${what}: malformed key`, error);
  }
}

/**
 * Imports a contract's private key (PEM: PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`) for
 * signing request JWTs: RSA-PSS with SHA-512, usage `sign`, not extractable. Cached.
 * @throws TypeValidationError (code `KEY_IMPORT`) when the PEM is not such a key.
 */
export function importContractPrivateKey(pem: string): Promise<CryptoKey> {
  const what = "contract private key";
  return cached("contract", pem, async () => {
    const { der, form } = readPem(pem, { "RSA PRIVATE KEY": "pkcs1", "PRIVATE KEY": "plain" }, what);
    let pkcs8: Uint8Array<ArrayBuffer>;
    try {
      pkcs8 = form === "pkcs1" ? wrapPkcs1PrivateKey(der) : der;
    } catch (error) {
      throw importError(`${what}: malformed key`, error);
    }
    return importDer("contract", "pkcs8", pkcs8, what);
  });
}

/**
 * Imports a postbox's public key (PEM: PKCS#1 `RSA PUBLIC KEY` or SPKI `PUBLIC KEY`) for wrapping
 * envelope keys: RSA-OAEP with SHA-1, usage `encrypt`. Cached.
 * @throws TypeValidationError (code `KEY_IMPORT`) when the PEM is not such a key.
 */
export function importPostboxPublicKey(pem: string): Promise<CryptoKey> {
  const what = "postbox public key";
  return cached("postbox", pem, async () => importDer("postbox", "spki", publicKeySpki(pem, what), what));
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
    return cached("verification", `pem\0${pem}`, async () =>
      importDer("verification", "spki", publicKeySpki(pem, what), what),
    );
  }
  const { kty, n, e } = (key ?? {}) as Partial<{ kty: unknown; n: unknown; e: unknown }>;
  if (kty !== "RSA" || typeof n !== "string" || typeof e !== "string" || !isRsaJwk(n, e)) {
    return Promise.reject(importError(`${what}: expected { pem } or a JWK with kty "RSA", n and e`));
  }
  return cached("verification", `jwk\0${n}\0${e}`, async () => {
    const { algorithm, usage, extractable } = KEY_USES.verification;
    try {
      return await crypto.subtle.importKey("jwk", { kty, n, e }, algorithm, extractable, [usage]);
    } catch {
      throw importError(`${what}: the JWK is not a valid RSA public key`);
    }
  });
}

/**
 * Byte length of the modulus of a public key in PEM (PKCS#1 or SPKI): 256 for a 2048-bit key.
 * @throws TypeValidationError (code `KEY_IMPORT`) when the PEM is not an RSA public key.
 */
export function postboxKeyModulusBytes(pem: string): number {
  const what = "postbox public key";
  const { der, form } = readPem(pem, PUBLIC_LABELS, what);
  try {
    return form === "pkcs1" ? rsaModulusBytes(wrapPkcs1PublicKey(der)) : rsaModulusBytes(der);
  } catch (error) {
    throw importError(`${what}: malformed key`, error);
  }
}

function isRsaJwk(n: string, e: string): boolean {
  try {
    return isRsaPublicKeyShape(decodeBase64Url(n), decodeBase64Url(e));
  } catch {
    return false;
  }
}
