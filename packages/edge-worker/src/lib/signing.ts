/** HMAC-SHA-256 signing of short strings (cookie values), with WebCrypto. */
import { decodeBase64Url, encodeBase64Url } from "@digime-edge/sdk-core/internal";

const keys = new Map<string, Promise<CryptoKey>>();
const encoder = new TextEncoder();

function key(secret: string): Promise<CryptoKey> {
  let found = keys.get(secret);
  if (!found) {
    found = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keys.set(secret, found);
  }
  return found;
}

/**
 * `payload` followed by `~` and its signature.
 *
 * @param secret - The signing secret.
 * @param payload - Text without `~`.
 */
export async function sign(secret: string, payload: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await key(secret), encoder.encode(payload));
  return `${payload}~${encodeBase64Url(new Uint8Array(mac))}`;
}

/**
 * The payload of a value made by {@link sign}, when its signature holds (compared in constant time).
 *
 * @param secret - The signing secret.
 * @param signed - The signed value, e.g. from a cookie.
 * @returns The payload, or `undefined` for a forged or malformed value.
 */
export async function verify(secret: string, signed: string | undefined): Promise<string | undefined> {
  if (!signed) return undefined;
  const at = signed.lastIndexOf("~");
  if (at <= 0) return undefined;
  const payload = signed.slice(0, at);
  // Only the canonical encoding (sdk-core's decoder refuses any other): base64 lets the last
  // character's spare bits vary, and a cookie changed there must not pass as the one that was signed.
  const mac = base64UrlBytes(signed.slice(at + 1));
  if (mac?.length !== 32) return undefined;
  const ok = await crypto.subtle.verify("HMAC", await key(secret), mac, encoder.encode(payload));
  return ok ? payload : undefined;
}

/**
 * `bytes` random bytes as base64url.
 *
 * @param bytes - How many random bytes (default 32).
 */
export function randomId(bytes = 32): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/**
 * The bytes of unpadded base64url `text` in its one canonical encoding, or `undefined` when it is
 * not that (a garbled cookie must not be a 500).
 *
 * @param text - The encoded text.
 */
export function base64UrlBytes(text: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    return decodeBase64Url(text);
  } catch {
    return undefined;
  }
}
