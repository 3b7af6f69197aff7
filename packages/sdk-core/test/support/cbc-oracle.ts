/**
 * A random AES-256-CBC key and iv for one test file: the key as sdk-core takes it (a WebCrypto key,
 * not extractable, usage `encrypt`), and node:crypto's one-shot AES-256-CBC (PKCS#7 padding) over
 * the same bytes as the independent oracle.
 */
import { createCipheriv, randomBytes } from "node:crypto";

/**
 * Makes the key and iv (await it at the top of the test file).
 *
 * @returns The raw key, the iv, the WebCrypto key, and `nodeCbc(data, key?, iv?)`: the
 *   ciphertext node:crypto makes, with this key and iv unless others are given.
 */
export async function randomCbcKey() {
  const rawKey = randomBytes(32);
  const iv = new Uint8Array(randomBytes(16));
  const key = await crypto.subtle.importKey("raw", rawKey, "AES-CBC", false, ["encrypt"]);
  const nodeCbc = (data: Uint8Array, k: Uint8Array = rawKey, v: Uint8Array = iv): Buffer => {
    const cipher = createCipheriv("aes-256-cbc", k, v);
    return Buffer.concat([cipher.update(data), cipher.final()]);
  };
  return { rawKey, iv, key, nodeCbc };
}
