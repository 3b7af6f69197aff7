/**
 * Compact JWS (RFC 7515) for the digi.me API: signing request JWTs and verifying response tokens.
 * Only PS512 exists here: RSASSA-PSS with SHA-512, MGF1-SHA-512 and a 64-byte salt.
 */
import { DigiMeSDKError, TokenVerificationError, TypeValidationError } from "../errors.ts";
import { decodeBase64Url, encodeBase64Url } from "../internal/base64.ts";
import { utf8Decode, utf8Encode } from "../internal/bytes.ts";
import { isObject } from "../internal/checks.ts";

/** A JOSE header as found in a token. `alg` is always present after {@link decodeJwt}. */
export interface JwtHeader {
  /** The signature algorithm; only `PS512` verifies. */
  alg: string;
  /** Media type, `JWT` for digi.me tokens. */
  typ?: string;
  /** Id of the signing key within the key set. */
  kid?: string;
  /** URL of the key set that holds the signing key. */
  jku?: string;
  [member: string]: unknown;
}

/** A token split into its parts; nothing in it is verified. */
export interface DecodedJwt {
  /** The parsed header. */
  header: JwtHeader;
  /** The parsed payload (claims). */
  payload: Record<string, unknown>;
  /** The signed text: the first two segments with their dot. */
  signingInput: string;
  /** The decoded signature. */
  signature: Uint8Array<ArrayBuffer>;
}

/** A token whose signature has been verified. */
export interface VerifiedJwt {
  /** The parsed header. */
  header: JwtHeader;
  /** The parsed payload (claims). */
  payload: Record<string, unknown>;
}

// PS512 is the one algorithm of the protocol; a token naming any other is refused.
const PS512 = { name: "RSA-PSS", saltLength: 64 };

const SIGNING_HEADER = encodeBase64Url(utf8Encode('{"alg":"PS512","typ":"JWT"}'));

/** Whether `key` is an RSA-PSS SHA-512 key with `usage`. */
function keyFits(key: CryptoKey, usage: KeyUsage): boolean {
  const algorithm = key?.algorithm as Partial<RsaHashedKeyAlgorithm> | undefined;
  return algorithm?.name === "RSA-PSS" && algorithm.hash?.name === "SHA-512" && key.usages.includes(usage);
}

/**
 * Signs `payload` as a compact JWT with header `{"alg":"PS512","typ":"JWT"}`.
 * @param privateKey An RSA-PSS SHA-512 key with usage `sign` (see `importContractPrivateKey`).
 * @throws TypeValidationError when the payload is not a JSON object or the key does not fit.
 */
export async function signJwt(payload: Record<string, unknown>, privateKey: CryptoKey): Promise<string> {
  if (!isObject(payload)) throw new TypeValidationError("JWT payload must be an object");
  if (!keyFits(privateKey, "sign")) {
    throw new TypeValidationError("JWT key is not RSA-PSS SHA-512 for sign");
  }
  let json: string;
  try {
    json = JSON.stringify(payload);
  } catch {
    throw new TypeValidationError("JWT payload must serialize to JSON");
  }
  return signJson(json, privateKey);
}

/**
 * {@link signJwt} of a payload already in JSON, with a key this SDK imported for signing (the
 * request JWTs it builds itself).
 */
export async function signJson(json: string, privateKey: CryptoKey): Promise<string> {
  const signingInput = `${SIGNING_HEADER}.${encodeBase64Url(utf8Encode(json))}`;
  const signature = await crypto.subtle.sign(PS512, privateKey, utf8Encode(signingInput));
  return `${signingInput}.${encodeBase64Url(new Uint8Array(signature))}`;
}

function decodeSegment(segment: string, name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8Decode(decodeBase64Url(segment)));
  } catch {
    // Left `undefined`, so refused below. No cause: JSON.parse quotes the text it read, which may
    // hold a token.
  }
  if (!isObject(value)) throw new TokenVerificationError(`Malformed JWT ${name}`);
  return value;
}

/**
 * Splits and parses a compact JWT without verifying it: exactly three base64url segments, the first
 * two JSON objects, a header with a string `alg` and a non-empty signature.
 * @throws TokenVerificationError when the token is not of that shape.
 */
export function decodeJwt(token: string): DecodedJwt {
  const parts = typeof token === "string" ? token.split(".") : [];
  if (parts.length !== 3) throw new TokenVerificationError("Malformed JWT");
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeSegment(headerPart, "header");
  if (typeof header.alg !== "string") {
    throw new TokenVerificationError("Malformed JWT header");
  }
  const payload = decodeSegment(payloadPart, "payload");
  let signature: Uint8Array<ArrayBuffer>;
  try {
    signature = decodeBase64Url(signaturePart);
  } catch (cause) {
    throw new TokenVerificationError("Malformed JWT signature", { cause });
  }
  if (signature.length === 0) throw new TokenVerificationError("Malformed JWT signature");
  return { header: header as JwtHeader, payload, signingInput: `${headerPart}.${payloadPart}`, signature };
}

/**
 * Verifies a compact JWT signed with PS512 and returns its header and payload. The algorithm is
 * checked before `resolveKey` is called; `none`, `HS*`, `RS*` and all others are refused, as is
 * any `crit` header (no extension is understood).
 * @param resolveKey Finds the key for the header (by `kid`, `jku`); must give an RSA-PSS SHA-512
 *   key with usage `verify`. Its `DigiMeSDKError`s pass through unchanged.
 * @throws TokenVerificationError when the token is malformed, the algorithm is not PS512, the key
 *   does not fit or the signature does not verify.
 */
export async function verifyJwt(
  token: string,
  resolveKey: (header: JwtHeader) => Promise<CryptoKey>,
): Promise<VerifiedJwt> {
  const { header, payload, signingInput, signature } = decodeJwt(token);
  const { alg } = header;
  if (alg !== "PS512") {
    throw new TokenVerificationError("JWT algorithm is not PS512");
  }
  if (header.crit !== undefined) {
    throw new TokenVerificationError("JWT has a crit header");
  }
  let key: CryptoKey;
  try {
    key = await resolveKey(header);
  } catch (error) {
    if (error instanceof DigiMeSDKError) throw error;
    throw new TokenVerificationError("No key for the JWT", { cause: error });
  }
  if (!keyFits(key, "verify")) {
    throw new TokenVerificationError("JWT key is not RSA-PSS SHA-512 for verify");
  }
  let valid: boolean;
  try {
    valid = await crypto.subtle.verify(PS512, key, signature, utf8Encode(signingInput));
  } catch (cause) {
    throw new TokenVerificationError("JWT signature not checkable", { cause });
  }
  if (!valid) throw new TokenVerificationError("JWT signature does not verify");
  return { header, payload };
}
