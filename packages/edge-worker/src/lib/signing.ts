/** HMAC-SHA-256 signing of short strings (cookie values), with WebCrypto. */

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
 * `bytes` as unpadded base64url.
 *
 * @param bytes - The bytes to encode.
 */
export function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * The bytes of unpadded base64url `text`, or `undefined` when it is not that.
 *
 * @param text - The encoded text.
 */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  // 4n+1 characters is no base64 at all (atob would throw: a garbled cookie must not be a 500).
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * `payload` followed by `~` and its signature.
 *
 * @param secret - The signing secret.
 * @param payload - Text without `~`.
 */
export async function sign(secret: string, payload: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await key(secret), encoder.encode(payload));
  return `${payload}~${toBase64Url(new Uint8Array(mac))}`;
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
  const mac = fromBase64Url(signed.slice(at + 1));
  if (mac?.length !== 32) return undefined;
  // Only the canonical encoding: base64 lets the last character's spare bits vary, and a cookie
  // changed there must not pass as the one that was signed.
  if (toBase64Url(mac) !== signed.slice(at + 1)) return undefined;
  const ok = await crypto.subtle.verify("HMAC", await key(secret), mac, encoder.encode(payload));
  return ok ? payload : undefined;
}

/**
 * `bytes` random bytes as base64url.
 *
 * @param bytes - How many random bytes (default 32).
 */
export function randomId(bytes = 32): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}
