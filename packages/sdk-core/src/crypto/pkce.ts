/** PKCE (RFC 7636) with the S256 method, as `oauth/authorize` and `oauth/token` use it. */
import { TypeValidationError } from "../errors.ts";
import { encodeBase64Url } from "../internal/base64.ts";
import { utf8Encode } from "../internal/bytes.ts";
import { randomBytes } from "../internal/random.ts";

// RFC 7636 section 4.1: 43 to 128 unreserved characters.
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** Whether `s` is a PKCE code verifier: 43 to 128 unreserved characters (RFC 7636, 4.1). */
export function isCodeVerifier(s: string): boolean {
  return VERIFIER.test(s);
}

/** A fresh code verifier: base64url of 32 random bytes (43 characters). */
export function createCodeVerifier(): string {
  return encodeBase64Url(randomBytes(32));
}

/**
 * The S256 code challenge of `verifier`: base64url(SHA-256(ASCII verifier)), unpadded.
 * @throws TypeValidationError when `verifier` is not 43 to 128 characters of `[A-Za-z0-9-._~]`.
 */
export async function codeChallengeS256(verifier: string): Promise<string> {
  if (typeof verifier !== "string" || !isCodeVerifier(verifier)) {
    throw new TypeValidationError(
      "Invalid PKCE code verifier: expected 43 to 128 characters of [A-Za-z0-9-._~]",
      {
        issues: [{ path: ["codeVerifier"], message: "expected 43 to 128 characters of [A-Za-z0-9-._~]" }],
      },
    );
  }
  return encodeBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8Encode(verifier))));
}
