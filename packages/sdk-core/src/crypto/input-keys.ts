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

/** The contract's private key (RSA-PSS SHA-512, sign); errors name `contractDetails.privateKey`. */
export function contractKey(contractDetails: ContractDetails): Promise<CryptoKey> {
  return named(
    importContractPrivateKey(contractDetails.privateKey),
    ["contractDetails", "privateKey"],
    "an RSA private key (PKCS#1 or PKCS#8 PEM)",
  );
}

/**
 * The contract keys of the caller's `contractDetails` objects, found without the SHA-256 (a
 * WebCrypto round trip) that the key cache's lookup of a private key costs: a write's first step.
 * An entry holds the PEM only as long as the caller's object lives (which holds it too).
 */
const byOwner = new WeakMap<object, [pem: string, key: Promise<CryptoKey>]>();

/**
 * {@link contractKey}, remembered by `owner`, the caller's own `contractDetails` object (of which
 * `contractDetails` is the checked copy) for as long as its `privateKey` stays the same string.
 * A key that failed to import is not remembered.
 */
export function ownedContractKey(contractDetails: ContractDetails, owner: object): Promise<CryptoKey> {
  const pem = contractDetails.privateKey;
  const known = byOwner.get(owner);
  if (known?.[0] === pem) return known[1];
  const key = contractKey(contractDetails);
  key.then(
    () => byOwner.set(owner, [pem, key]),
    () => {},
  );
  return key;
}

/** The postbox's public key (RSA-OAEP SHA-1, encrypt); `path` names the option in errors. */
export function postboxKey(pem: string, path: (string | number)[]): Promise<CryptoKey> {
  return named(importPostboxPublicKey(pem), path, "an RSA public key (PKCS#1 or SPKI PEM)");
}
