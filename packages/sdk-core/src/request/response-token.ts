/** Responses of `oauth/authorize` and `oauth/token`: `{ token }`, a PS512 JWT verified by key set. */
import type { ClientContext } from "../config.ts";
import { verifyJwt } from "../crypto/jws.ts";
import { ServerError } from "../errors.ts";

/** An answer that is not what the protocol says (a 200 whose content is unusable). */
export function invalidResponse(what: string, detail: string): ServerError {
  return new ServerError(`${what}: unusable answer: ${detail}`, {
    status: 200,
    code: "INVALID_RESPONSE",
  });
}

/**
 * The verified payload of the answer's `token`.
 * @throws ServerError (code `INVALID_RESPONSE`) when there is no token; TokenVerificationError when
 *   it does not verify.
 */
export async function verifiedTokenPayload(
  context: ClientContext,
  data: unknown,
  what: string,
): Promise<Record<string, unknown>> {
  const token = (data as { token?: unknown } | null)?.token;
  if (typeof token !== "string" || token === "") throw invalidResponse(what, "no token");
  const { payload } = await verifyJwt(token, context.resolveVerificationKey);
  return payload;
}
