import { constants, type KeyObject, sign, verify } from "node:crypto";

/** RSASSA-PSS with SHA-512, MGF1-SHA-512 and a 64-byte salt: how digi.me's PS512 is made. */
const PS512 = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 } as const;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** A compact JWS split into its parts; nothing in it is trusted until {@link verifyPs512} says so. */
export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** `base64url(header) + "." + base64url(payload)`, the bytes the signature covers. */
  signingInput: string;
  signature: Buffer;
}

/** Thrown by {@link decodeJwt} for anything that is not a compact JWS with JSON object parts. */
export class MalformedJwtError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MalformedJwtError";
  }
}

const decodeJson = (part: string, what: string): Record<string, unknown> => {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch (cause) {
    throw new MalformedJwtError(`The JWT ${what} is not base64url JSON`, { cause });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new MalformedJwtError(`The JWT ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
};

/**
 * Splits a compact JWS (RFC 7515) without verifying it.
 * @throws {MalformedJwtError} when it has not three base64url parts or a part is not a JSON object.
 */
export function decodeJwt(token: string): DecodedJwt {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p)) || !parts[0] || !parts[1]) {
    throw new MalformedJwtError("The JWT is not three base64url parts");
  }
  const [h, p, s] = parts as [string, string, string];
  return {
    header: decodeJson(h, "header"),
    payload: decodeJson(p, "payload"),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, "base64url"),
  };
}

/**
 * {@link decodeJwt}, and the header must say PS512: what every JWT a client sends digi.me is.
 * @param what - Names the JWT in messages (e.g. "request JWT", "FileDescriptor").
 * @param malformed - Makes the error thrown when it is not a PS512 compact JWS with JSON parts.
 */
export function decodePs512(
  token: string,
  what: string,
  malformed: (message: string, cause?: unknown) => Error,
): DecodedJwt {
  let jwt: DecodedJwt;
  try {
    jwt = decodeJwt(token);
  } catch (error) {
    if (error instanceof MalformedJwtError) throw malformed(`${what}: ${error.message}`, error);
    throw error;
  }
  if (jwt.header.alg !== "PS512") {
    throw malformed(`${what}: alg must be PS512, not ${JSON.stringify(jwt.header.alg)}`);
  }
  return jwt;
}

/** True when `jwt`'s header says PS512 and its signature verifies with `publicKey` (salt 64). */
export function verifyPs512(jwt: DecodedJwt, publicKey: KeyObject): boolean {
  if (jwt.header.alg !== "PS512" || publicKey.asymmetricKeyType !== "rsa") return false;
  try {
    return verify("sha512", Buffer.from(jwt.signingInput), { key: publicKey, ...PS512 }, jwt.signature);
  } catch {
    return false;
  }
}

/**
 * Signs `payload` as a compact PS512 JWS with `privateKey`. The header is
 * `{ alg: "PS512", typ: "JWT", ...header }` (digi.me adds `kid` and `jku`).
 */
export function signPs512(
  payload: Record<string, unknown>,
  privateKey: KeyObject,
  header: Record<string, unknown> = {},
): string {
  const enc = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const signingInput = `${enc({ alg: "PS512", typ: "JWT", ...header })}.${enc(payload)}`;
  const signature = sign("sha512", Buffer.from(signingInput), { key: privateKey, ...PS512 });
  return `${signingInput}.${signature.toString("base64url")}`;
}
