/** Key pairs made with node:crypto, the other side of sdk-core's WebCrypto. */
import { generateKeyPairSync, type KeyObject } from "node:crypto";

export interface RsaPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** PKCS#1 `RSA PRIVATE KEY`. */
  privatePem: string;
  /** PKCS#8 `PRIVATE KEY`. */
  privatePkcs8Pem: string;
  /** PKCS#1 `RSA PUBLIC KEY`. */
  publicPem: string;
  /** SPKI `PUBLIC KEY`. */
  publicSpkiPem: string;
}

export function rsaPair(modulusLength = 2048): RsaPair {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength });
  return {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    privatePkcs8Pem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicPem: publicKey.export({ type: "pkcs1", format: "pem" }).toString(),
    publicSpkiPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

/** `n` bytes from a seeded generator. */
export function seededBytes(random: () => number, n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const v = Math.floor(random() * 4294967296);
    out[i] = v & 0xff;
    if (i + 1 < n) out[i + 1] = (v >>> 8) & 0xff;
    if (i + 2 < n) out[i + 2] = (v >>> 16) & 0xff;
    if (i + 3 < n) out[i + 3] = (v >>> 24) & 0xff;
  }
  return out;
}
