/**
 * Cookie values that are encrypted and authenticated: AES-256-GCM (WebCrypto) under a key derived
 * from `SESSION_SECRET` with HKDF-SHA-256, one key per purpose. The GCM tag is the signature: a value
 * changed in any bit, made with another secret or for another purpose does not open.
 *
 * Format: `<version>.` + base64url(iv (12 bytes) ‖ ciphertext ‖ tag (16 bytes)); the purpose is
 * the associated data.
 */
import { concatBytes, encodeBase64Url } from "@digime-edge/sdk-core/internal";
import { base64UrlBytes } from "./signing.ts";

/** Version prefix of a sealed cookie value. */
const VERSION = "g1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

/**
 * The AES-GCM key of `purpose`: HKDF-SHA-256 of the secret, salt `digime-edge`, info
 * `digime-edge cookie <purpose>`.
 *
 * @param secret - `SESSION_SECRET`.
 * @param purpose - What the cookie is for (also the associated data).
 */
export function cookieKey(secret: string, purpose: string): Promise<CryptoKey> {
  const id = `${purpose}\u0000${secret}`;
  let found = keys.get(id);
  if (!found) {
    found = crypto.subtle
      .importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"])
      .then((base) =>
        crypto.subtle.deriveKey(
          {
            name: "HKDF",
            hash: "SHA-256",
            salt: encoder.encode("digime-edge"),
            info: encoder.encode(`digime-edge cookie ${purpose}`),
          },
          base,
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt", "decrypt"],
        ),
      );
    if (keys.size >= 16) keys.clear();
    keys.set(id, found);
  }
  return found;
}

/**
 * `plaintext` encrypted and authenticated for `purpose`.
 *
 * @param secret - `SESSION_SECRET`.
 * @param purpose - What the cookie is for.
 * @param plaintext - What to hide.
 */
export async function sealCookie(secret: string, purpose: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(purpose) },
    await cookieKey(secret, purpose),
    encoder.encode(plaintext),
  );
  return `${VERSION}.${encodeBase64Url(concatBytes(iv, new Uint8Array(sealed)))}`;
}

/**
 * The plaintext of a value made by {@link sealCookie} for `purpose`, or `undefined` for anything
 * else (tampered, truncated, another secret or purpose, not base64url).
 *
 * @param secret - `SESSION_SECRET`.
 * @param purpose - What the cookie is for.
 * @param value - The cookie's value.
 */
export async function openCookie(
  secret: string,
  purpose: string,
  value: string | undefined,
): Promise<string | undefined> {
  if (!value?.startsWith(`${VERSION}.`)) return undefined;
  // Only the canonical encoding (base64UrlBytes): the spare bits of the last character must not vary.
  const bytes = base64UrlBytes(value.slice(VERSION.length + 1));
  if (!bytes || bytes.length < IV_BYTES + TAG_BYTES) return undefined;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes.subarray(0, IV_BYTES), additionalData: encoder.encode(purpose) },
      await cookieKey(secret, purpose),
      bytes.subarray(IV_BYTES),
    );
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(plain);
  } catch {
    return undefined;
  }
}
