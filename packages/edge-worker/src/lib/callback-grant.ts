/**
 * What a successful sign-in's redirect carries besides the code, by write API: a postbox contract's
 * `postboxId` and `publicKey`, an import contract's `accountReference` (wire-format-import.md).
 */
import { isPathSegment } from "@digime-edge/sdk-core";
import type { WriteApi } from "../config.ts";
import { modulusBytes } from "./vault-tokens.ts";

/** An account reference: one opaque URL-safe token. */
const OPAQUE_ID = /^[^\s/\\?#%]{1,256}$/;

/**
 * Whether `id` is a postbox id sdk-core's `write` and `sendSealed` take (its `isPathSegment`), and
 * at most 256 characters. One sdk-core refuses would make every write of the session fail, so the
 * sign-in is refused instead.
 *
 * @param id - The redirect's `postboxId`.
 */
const isPostboxId = (id: string): boolean => id.length <= 256 && isPathSegment(id);

/**
 * Whether `pem` is a postbox key sdk-core seals with: an RSA public key its parser reads (the one
 * that sizes the key for every sealed write). One it could not read would fail every write of the
 * session, so the sign-in is refused instead.
 *
 * @param pem - The redirect's `publicKey`.
 */
const isPostboxKey = (pem: string): boolean => modulusBytes(pem) > 0;

/** What the vault stores of a sign-in's redirect. */
export interface CallbackGrant {
  /** The postbox (postbox contract). */
  postboxId?: string;
  /** The postbox's public key, PEM (postbox contract). */
  publicKey?: string;
  /** The account the sign-in made or named (import contract). */
  accountReference?: string;
}

/**
 * The grant of a successful redirect's query, checked against the write API in use. A redirect of
 * the other API (`accountReference` for a postbox contract, `postboxId` or `publicKey` for an
 * import contract: the Worker is set up for another contract than digi.me used) is
 * `WRITE_API_MISMATCH`; a malformed value is `BAD_CALLBACK`. None at all is a grant without
 * anything to write to (a read contract): the session then cannot write.
 *
 * @param writeApi - The write API in use (`DIGIME_WRITE_API`).
 * @param query - The redirect's query.
 */
export function callbackGrant(
  writeApi: WriteApi,
  query: Record<string, string | undefined>,
): { ok: true; grant: CallbackGrant } | { ok: false; code: "BAD_CALLBACK" | "WRITE_API_MISMATCH" } {
  const { postboxId, publicKey, accountReference } = query;
  const postbox = postboxId !== undefined || publicKey !== undefined;
  if (writeApi === "import" ? postbox : accountReference !== undefined) {
    return { ok: false, code: "WRITE_API_MISMATCH" };
  }
  if (writeApi === "import") {
    if (accountReference === undefined) return { ok: true, grant: {} };
    return OPAQUE_ID.test(accountReference)
      ? { ok: true, grant: { accountReference } }
      : { ok: false, code: "BAD_CALLBACK" };
  }
  if ((postboxId && !isPostboxId(postboxId)) || (publicKey && !isPostboxKey(publicKey))) {
    return { ok: false, code: "BAD_CALLBACK" };
  }
  return {
    ok: true,
    grant: { ...(postboxId ? { postboxId } : {}), ...(publicKey ? { publicKey } : {}) },
  };
}
