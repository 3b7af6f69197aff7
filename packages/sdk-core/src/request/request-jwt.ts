/**
 * Request JWTs (app -> digi.me): the call's claims plus a fresh `nonce` and `timestamp`, keys in
 * sorted order (as the official SDK's tokens have them), signed PS512 with the contract key.
 */
import type { ClientContext } from "../config.ts";
import { signJson } from "../crypto/jws.ts";
import { randomNonce } from "../internal/random.ts";
import type { ContractDetails } from "../types.ts";

/**
 * Signs `claims` (strings and numbers the SDK made or checked) with a new nonce and the current
 * time; `undefined` claims are left out. `privateKey` is the imported contract key. The nonce is
 * 32 characters of `[A-Za-z0-9]` (`randomNonce`'s default): what digi.me's wire format asks of
 * every request JWT, as the official SDK makes them.
 */
function signRequestJwt(claims: Record<string, unknown>, privateKey: CryptoKey): Promise<string> {
  const all: Record<string, unknown> = { ...claims, nonce: randomNonce(), timestamp: Date.now() };
  const payload: Record<string, unknown> = {};
  for (const key of Object.keys(all).sort()) if (all[key] !== undefined) payload[key] = all[key];
  return signJson(JSON.stringify(payload), privateKey);
}

/** `client_id`: `${applicationId}_${contractId}`. */
function clientId(applicationId: string, contractId: string): string {
  return `${applicationId}_${contractId}`;
}

/**
 * `Authorization: Bearer <jwt>` for one attempt: `claims` and the contract's `client_id`, signed
 * with `key` (the contract's) with a fresh nonce and timestamp ({@link signRequestJwt}).
 */
export async function bearer(
  context: ClientContext,
  contractDetails: ContractDetails,
  key: CryptoKey,
  claims: Record<string, unknown>,
): Promise<string> {
  const id = clientId(context.config.applicationId, contractDetails.contractId);
  return `Bearer ${await signRequestJwt({ ...claims, client_id: id }, key)}`;
}
