/** The vault's checks before it admits a write or a resumable upload, and their refusals. */
import type { WriteApi } from "../config.ts";
import type { ApiFailure } from "./digime.ts";
import type { RateBudget } from "./rate-budget.ts";
import type { UploadLeases } from "./upload-leases.ts";
import type { TokenRefresher } from "./vault-refresh.ts";
import {
  modulusBytes,
  type TokenRow,
  type VaultResult,
  type WriteGrant,
  writesWith,
} from "./vault-tokens.ts";

/** A refusal, as a vault operation returns it. */
export type Refusal = { ok: false } & ApiFailure;

/**
 * Why a session may not write now, if it may not: it lacks what the write API needs (403
 * `CANNOT_WRITE`), or a sealed upload's wrapped key is not the size of the postbox key (400
 * `BAD_SYMMETRICAL_KEY`).
 *
 * @param row - The session's row.
 * @param writeApi - The write API in use.
 * @param wrappedKeyBytes - A sealed upload's wrapped AES key size; none for other uploads.
 * @param kind - What is asked: a write (its answers name the write API and the key size) or a
 *   resumable upload.
 */
export function writeRefusal(
  row: TokenRow,
  writeApi: WriteApi,
  wrappedKeyBytes: number | undefined,
  kind: "write" | "upload",
): Refusal | undefined {
  if (!writesWith(row, writeApi)) {
    return { ok: false, status: 403, code: "CANNOT_WRITE", message: cannotWriteMessage(writeApi, kind) };
  }
  if (wrappedKeyBytes === undefined) return undefined;
  const expected = modulusBytes(row.public_key ?? "");
  if (wrappedKeyBytes === expected) return undefined;
  return {
    ok: false,
    status: 400,
    code: "BAD_SYMMETRICAL_KEY",
    message:
      kind === "write"
        ? `the wrapped key must be ${expected} bytes, the size of the postbox key`
        : "the wrapped key must be the size of the postbox key",
  };
}

function cannotWriteMessage(writeApi: WriteApi, kind: "write" | "upload"): string {
  if (kind === "upload") return "this sign-in cannot write; sign in again";
  return writeApi === "import"
    ? "this sign-in gave no account to import into; sign in again"
    : "this sign-in gave no postbox to write to";
}

/**
 * The 429 `TOO_MANY_UPLOADS` refusal of a write over the uploads allowed at once.
 *
 * @param limit - The uploads allowed at once.
 */
export function tooManyUploads(limit: number): Refusal {
  return {
    ok: false,
    status: 429,
    code: "TOO_MANY_UPLOADS",
    message: `at most ${limit} uploads at once; send this one when another has ended`,
    retryAfter: 5,
  };
}

/** What a write asks the vault for. */
export interface WriteRequest {
  /** The per-minute rate budget (the Worker's setting). */
  ratePerMinute: number;
  /** The uploads allowed at once (the Worker's setting). */
  maxConcurrent: number;
  /** A sealed upload's wrapped AES key size: it must be the postbox key's modulus size. */
  wrappedKeyBytes?: number;
}

/** What admitting a write draws on: the vault's rate budget, upload slots and refresher. */
export interface WriteResources {
  /** The user's rate budget. */
  budget: RateBudget;
  /** The user's upload slots. */
  leases: UploadLeases;
  /** The vault's single-flight refresher. */
  tokens: TokenRefresher;
}

/**
 * Admits one write of the session in `row`: refused when it cannot write ({@link writeRefusal}),
 * then over `maxConcurrent` uploads (429 `TOO_MANY_UPLOADS`) before the budget is touched, then
 * over the rate budget; else it takes an upload slot and a token that is fresh now (refreshed,
 * single-flight, when close to expiry; the slot is given back when that fails).
 *
 * @param row - The session's row.
 * @param writeApi - The write API in use.
 * @param input - The limits in force and a sealed upload's wrapped key size.
 * @param vault - The vault's budget, slots and refresher.
 * @returns The token, where to write, and the slot; or the refusal.
 */
export async function admitWrite(
  row: TokenRow,
  writeApi: WriteApi,
  input: WriteRequest,
  vault: WriteResources,
): Promise<VaultResult<WriteGrant>> {
  const refused = writeRefusal(row, writeApi, input.wrappedKeyBytes, "write");
  if (refused) return refused;
  if (vault.leases.active(Date.now()) >= input.maxConcurrent) return tooManyUploads(input.maxConcurrent);
  const limited = vault.budget.spend(input.ratePerMinute);
  if (limited) return limited;
  const leaseId = crypto.randomUUID();
  vault.leases.take(leaseId, input.maxConcurrent, Date.now());
  const fresh = await vault.tokens.freshAccess(row);
  if (!fresh.ok) {
    vault.leases.release(leaseId);
    return fresh;
  }
  const { accessToken } = fresh;
  if (writeApi === "import") {
    return { ok: true, accessToken, accountReference: row.account_reference as string, leaseId };
  }
  const { postbox_id: postboxId, public_key: publicKey } = row;
  return { ok: true, accessToken, postboxId: postboxId as string, publicKey: publicKey as string, leaseId };
}
