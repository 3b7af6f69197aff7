import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The emulator's own signing key: response tokens are signed with it and the key set publishes it. */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** PKCS#1 PEM (`BEGIN RSA PUBLIC KEY`), the form digi.me's key set uses. */
  publicKeyPem: string;
  /** The public key as JWK members (`kty`, `n`, `e`), for the key set's `jwk` form. */
  publicJwk: JsonWebKey;
}

/** File name of the signing key in the data folder. */
export const SIGNING_KEY_FILE = "signing-key.pem";

/** A `kid` derived from the public key, so it stays the same for as long as the key does. */
export const keyId = (publicKey: KeyObject): string =>
  `emulator-${createHash("sha256")
    .update(publicKey.export({ type: "spki", format: "der" }))
    .digest("base64url")
    .slice(0, 16)}`;

/** Wraps an RSA private key (PEM or KeyObject) as a {@link SigningKey}. */
export function toSigningKey(key: KeyObject | string): SigningKey {
  const privateKey = typeof key === "string" ? createPrivateKey(key) : key;
  const publicKey = createPublicKey(privateKey);
  return {
    kid: keyId(publicKey),
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: "pkcs1", format: "pem" }).toString(),
    publicJwk: publicKey.export({ format: "jwk" }),
  };
}

/**
 * Loads the signing key from `dataDir`, generating a 2048-bit RSA key (kept as `signing-key.pem`,
 * mode 0600) on first start. Without `dataDir` the key is generated and kept in memory only.
 */
export function loadOrCreateSigningKey(dataDir?: string): SigningKey {
  const path = dataDir && join(dataDir, SIGNING_KEY_FILE);
  if (path && existsSync(path)) return toSigningKey(readFileSync(path, "utf8"));
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  if (path && dataDir) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  }
  return toSigningKey(privateKey);
}
