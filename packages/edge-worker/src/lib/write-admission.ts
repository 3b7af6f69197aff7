/** The vault's checks before it admits a write or a resumable upload, and their refusals. */
import type { WriteApi } from "../config.ts";
import type { ApiFailure } from "./digime.ts";
import { modulusBytes, type TokenRow, writesWith } from "./vault-tokens.ts";

/** A refusal, as a vault operation answers it. */
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
