/**
 * The little DER that RSA keys need: reading tag-length-value items, wrapping PKCS#1 keys into the
 * PKCS#8 and SPKI structures WebCrypto imports, and reading a key's modulus size. Strict DER only:
 * definite, minimal lengths and single-byte tags. Errors never include the input's bytes.
 */
import { TypeValidationError } from "../errors.ts";
import { concatBytes } from "./bytes.ts";

// Universal tags used by RSA keys.
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
const NULL = 0x05;
const OID = 0x06;
const SEQUENCE = 0x30;

/** One DER item: its tag and where its contents lie in the input (its header is at the offset read). */
export interface Tlv {
  /** The identifier octet, e.g. `0x30` for SEQUENCE. */
  tag: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just past the last content octet. */
  end: number;
}

// AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }, as every encoder writes it.
const RSA_ALGORITHM_IDENTIFIER = new Uint8Array([
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
]);
const RSA_ENCRYPTION_OID = /* @__PURE__ */ RSA_ALGORITHM_IDENTIFIER.subarray(4, 13);

function malformed(what: string): TypeValidationError {
  return new TypeValidationError(`Malformed DER: ${what}`, { code: "KEY_IMPORT" });
}

/**
 * Reads the item that starts at `offset` and must end by `limit` (default: the end of `der`).
 * @throws TypeValidationError (code `KEY_IMPORT`) when the item is not strict DER or overruns.
 */
export function readTlv(der: Uint8Array, offset = 0, limit = der.length): Tlv {
  let contentStart = offset + 2;
  if (contentStart > limit) throw malformed("truncated header");
  const tag = der[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw malformed("multi-byte tag");
  let length = der[offset + 1] as number;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw malformed(count ? "length too large" : "indefinite length");
    if (contentStart + count > limit) throw malformed("truncated length");
    const first = der[contentStart];
    length = 0;
    for (const end = contentStart + count; contentStart < end; contentStart++) {
      length = length * 256 + (der[contentStart] as number);
    }
    if (first === 0 || length < 0x80) throw malformed("non-minimal length");
  }
  const end = contentStart + length;
  if (end > limit) throw malformed("length beyond the input");
  return { tag, contentStart, end };
}

/**
 * The items inside a constructed item, which must fill it exactly.
 * @throws TypeValidationError (code `KEY_IMPORT`) on malformed contents.
 */
export function readChildren(der: Uint8Array, parent: Tlv): Tlv[] {
  const children: Tlv[] = [];
  for (let offset = parent.contentStart; offset < parent.end; ) {
    const child = readTlv(der, offset, parent.end);
    children.push(child);
    offset = child.end;
  }
  return children;
}

/** The DER length octets for `length`. */
export function encodeLength(length: number): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(length) || length < 0 || length > 0xffffffff) {
    throw new RangeError("DER length out of range");
  }
  if (length < 0x80) return new Uint8Array([length]);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
  return new Uint8Array([0x80 | octets.length, ...octets]);
}

/** A DER item made of `tag` and the concatenated `contents`. */
export function encodeTlv(tag: number, ...contents: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const body = concatBytes(...contents);
  return concatBytes(new Uint8Array([tag]), encodeLength(body.length), body);
}

function readTop(der: Uint8Array, what: string): Tlv[] {
  const top = readTlv(der);
  if (top.tag !== SEQUENCE || top.end !== der.length) throw malformed(`${what} is not one SEQUENCE`);
  return readChildren(der, top);
}

function positiveIntegerBytes(der: Uint8Array, tlv: Tlv | undefined, what: string): Uint8Array {
  let start = tlv?.contentStart as number;
  // Not an INTEGER, empty, negative, zero, or a leading zero that is not needed: refused.
  if (tlv?.tag !== INTEGER || start === tlv.end || (der[start] as number) & 0x80) {
    throw malformed(`${what} is not a positive INTEGER`);
  }
  if (der[start] === 0 && start + 1 < tlv.end) {
    if (!((der[start + 1] as number) & 0x80)) throw malformed(`${what} is not minimal`);
    start++;
  }
  const magnitude = der.subarray(start, tlv.end);
  if (magnitude.length === 1 && magnitude[0] === 0) throw malformed(`${what} is not a positive INTEGER`);
  return magnitude;
}

function checkPkcs1Private(children: Tlv[], der: Uint8Array): void {
  // version, n, e, d, p, q, dp, dq, qInv, then otherPrimeInfos for multi-prime keys.
  if (children.length < 9 || children.slice(0, 9).some((c) => c.tag !== INTEGER)) {
    throw malformed("RSAPrivateKey is not nine INTEGERs");
  }
  positiveIntegerBytes(der, children[1], "modulus");
}

function checkPkcs1Public(children: Tlv[], der: Uint8Array): Uint8Array {
  if (children.length !== 2) throw malformed("RSAPublicKey is not two fields");
  const modulus = positiveIntegerBytes(der, children[0], "modulus");
  const exponent = positiveIntegerBytes(der, children[1], "public exponent");
  if (!isRsaPublicKeyShape(modulus, exponent)) throw malformed("unusable RSA public key");
  return modulus;
}

/**
 * Whether big-endian unsigned `modulus` and `exponent` can be an RSA public key: both odd, the
 * exponent above 1. (WebCrypto in some runtimes imports an exponent of 0 or 1 without complaint.)
 */
export function isRsaPublicKeyShape(modulus: Uint8Array, exponent: Uint8Array): boolean {
  const odd = (b: Uint8Array) => ((b[b.length - 1] ?? 0) & 1) === 1;
  const aboveOne = exponent.some((byte, i) => (i === exponent.length - 1 ? byte > 1 : byte !== 0));
  return odd(modulus) && odd(exponent) && aboveOne;
}

function isRsaAlgorithm(der: Uint8Array, tlv: Tlv | undefined): boolean {
  if (tlv?.tag !== SEQUENCE) return false;
  const [oid, params] = readChildren(der, tlv);
  if (oid?.tag !== OID) return false;
  const value = der.subarray(oid.contentStart, oid.end);
  if (value.length !== RSA_ENCRYPTION_OID.length || !value.every((b, i) => b === RSA_ENCRYPTION_OID[i])) {
    return false;
  }
  // Parameters must be NULL, or absent as some encoders write them.
  return params === undefined || (params.tag === NULL && params.end === params.contentStart);
}

/**
 * Wraps a PKCS#1 `RSAPrivateKey` into a PKCS#8 `PrivateKeyInfo` (version 0, rsaEncryption, NULL
 * parameters), the form `crypto.subtle.importKey("pkcs8", ...)` takes.
 * @throws TypeValidationError (code `KEY_IMPORT`) when `pkcs1` is not an RSAPrivateKey.
 */
export function wrapPkcs1PrivateKey(pkcs1: Uint8Array): Uint8Array<ArrayBuffer> {
  checkPkcs1Private(readTop(pkcs1, "RSAPrivateKey"), pkcs1);
  return encodeTlv(
    SEQUENCE,
    new Uint8Array([INTEGER, 0x01, 0x00]),
    RSA_ALGORITHM_IDENTIFIER,
    encodeTlv(OCTET_STRING, pkcs1),
  );
}

/**
 * Wraps a PKCS#1 `RSAPublicKey` into a `SubjectPublicKeyInfo` (rsaEncryption, NULL parameters),
 * the form `crypto.subtle.importKey("spki", ...)` takes.
 * @throws TypeValidationError (code `KEY_IMPORT`) when `pkcs1` is not an RSAPublicKey.
 */
export function wrapPkcs1PublicKey(pkcs1: Uint8Array): Uint8Array<ArrayBuffer> {
  checkPkcs1Public(readTop(pkcs1, "RSAPublicKey"), pkcs1);
  return encodeTlv(SEQUENCE, RSA_ALGORITHM_IDENTIFIER, encodeTlv(BIT_STRING, new Uint8Array([0]), pkcs1));
}

/**
 * Byte length of the modulus of an RSA public key in DER, SPKI or PKCS#1 `RSAPublicKey`:
 * 256 for a 2048-bit key.
 * @throws TypeValidationError (code `KEY_IMPORT`) when `der` is neither.
 */
export function rsaModulusBytes(der: Uint8Array): number {
  const children = readTop(der, "RSA public key");
  const [first, second] = children;
  if (first?.tag !== SEQUENCE) return checkPkcs1Public(children, der).length;
  // SubjectPublicKeyInfo: AlgorithmIdentifier, BIT STRING holding an RSAPublicKey.
  if (children.length !== 2 || !isRsaAlgorithm(der, first)) throw malformed("not an RSA SPKI");
  if (second?.tag !== BIT_STRING || second.end === second.contentStart || der[second.contentStart] !== 0) {
    throw malformed("SPKI key is not a whole-byte BIT STRING");
  }
  const inner = der.subarray(second.contentStart + 1, second.end);
  return checkPkcs1Public(readTop(inner, "RSAPublicKey"), inner).length;
}
