/**
 * Key imports for input validation: a key that does not import is bad input, reported as a
 * {@link TypeValidationError} that names the option it came from (never its value).
 */

import { validationError } from "../internal/checks.ts";
import type { ContractDetails } from "../types.ts";
import { importContractPrivateKey, importPostboxPublicKey } from "./keys.ts";

async function named(load: Promise<CryptoKey>, path: (string | number)[], what: string): Promise<CryptoKey> {
  try {
    return await load;
  } catch (error) {
    throw validationError(what, [{ path, message: `does not import as ${what}` }], {
      code: "KEY_IMPORT",
      cause: error,
    });
  }
}

/**
 * The contract keys of the caller's `contractDetails` objects and of their checked copies, found
 * without the SHA-256 (a WebCrypto round trip) that the key cache's lookup of a private key costs.
 * An entry holds the PEM only as long as its object lives (which holds it too).
 */
const byOwner = new WeakMap<object, [pem: string, key: Promise<CryptoKey>]>();

/**
 * The contract's private key (RSA-PSS SHA-512, sign); errors name `contractDetails.privateKey`.
 * Remembered by `contractDetails` (the checked copy: a token refresh within the call imports
 * nothing) and by `owner`, the caller's own object it was checked from (a second call with it
 * imports nothing), for as long as its `privateKey` stays the same string. A key that failed to
 * import is not remembered.
 */
export function contractKey(
  contractDetails: ContractDetails,
  owner: object = contractDetails,
): Promise<CryptoKey> {
  const pem = contractDetails.privateKey;
  const known = byOwner.get(owner);
  // Only a key that imported is known: the copy of this call is remembered at once.
  if (known?.[0] === pem) {
    byOwner.set(contractDetails, known);
    return known[1];
  }
  const key = named(
    importContractPrivateKey(pem),
    ["contractDetails", "privateKey"],
    "an RSA private key (PKCS#1 or PKCS#8 PEM)",
  );
  // Once imported, remembered by both objects; a failure is not (its handler is the caller's).
  key.then(
    () => byOwner.set(owner, [pem, key]).set(contractDetails, [pem, key]),
    () => {},
  );
  return key;
}

/** The postbox's public key (RSA-OAEP SHA-1, encrypt); `path` names the option in errors. */
export function postboxKey(pem: string, path: (string | number)[]): Promise<CryptoKey> {
  return named(importPostboxPublicKey(pem), path, "an RSA public key (PKCS#1 or SPKI PEM)");
}
