/**
 * The grant of `oauth/token` that every token comes from: the request JWT, the answer's token
 * verified by key set, and the pair read from its payload. `token.ts` holds the public grants;
 * the refresh inside a call (`authorized.ts`) uses {@link refreshUnchecked}.
 */
import type { ClientContext } from "../config.ts";
import { contractKey } from "../crypto/input-keys.ts";
import type { RefreshTokenOptions } from "../token.ts";
import type { ContractDetails, UserAccessToken } from "../types.ts";
import { bearer } from "./request-jwt.ts";
import { invalidResponse, verifiedTokenPayload } from "./response-token.ts";
import { sendRequest } from "./send.ts";

function toUserAccessToken(payload: Record<string, unknown>, what: string): UserAccessToken {
  const pick = (name: string) => {
    const claim = payload[name] as { value?: unknown; expires_on?: unknown } | undefined;
    if (typeof claim?.value !== "string" || claim.value === "" || typeof claim.expires_on !== "number") {
      throw invalidResponse(what, `no ${name} { value, expires_on }`);
    }
    return { value: claim.value, expiry: claim.expires_on };
  };
  const token: UserAccessToken = { accessToken: pick("access_token"), refreshToken: pick("refresh_token") };
  // Kept when digi.me names them (official SDK 10 on), as that SDK keeps them.
  if (typeof payload.sub === "string") token.user = { id: payload.sub };
  if (typeof payload.consentid === "string") token.consentid = payload.consentid;
  return token;
}

/**
 * Sends one `oauth/token` grant (`claims` with `client_id`, signed with the contract key) and
 * returns the verified token's pair. `owner` is the caller's object `contractDetails` was checked
 * from, by which the key is found again (see `contractKey`).
 * @throws ServerError (code `INVALID_RESPONSE` for an answer without a usable token),
 *   NetworkError, TokenVerificationError.
 */
export async function tokenGrant(
  context: ClientContext,
  contractDetails: ContractDetails,
  claims: Record<string, unknown>,
  options: { what: string; signal: AbortSignal | undefined; secrets: string[] },
  owner?: object,
): Promise<UserAccessToken> {
  const { config } = context;
  const key = await contractKey(contractDetails, owner);
  const { data } = await sendRequest(config, {
    ...options,
    build: async () => ({
      url: `${config.baseUrl}oauth/token`,
      method: "POST",
      // As the official SDK sends them: the refresh has a Content-Type, the exchange none.
      headers: {
        Accept: "application/json",
        Authorization: await bearer(context, contractDetails, key, claims),
        ...(claims.refresh_token === undefined ? {} : { "Content-Type": "application/json" }),
      },
    }),
  });
  return toUserAccessToken(await verifiedTokenPayload(context, data, options.what), options.what);
}

/**
 * `refreshToken` of options already checked (the refresh inside a call): not checked again here.
 * `owner`: as for {@link tokenGrant}.
 */
export function refreshUnchecked(
  context: ClientContext,
  options: RefreshTokenOptions,
  owner?: object,
): Promise<UserAccessToken> {
  const { contractDetails, userAccessToken, signal } = options;
  const refresh = userAccessToken.refreshToken.value;
  return tokenGrant(
    context,
    contractDetails,
    { grant_type: "refresh_token", refresh_token: refresh },
    { what: "token refresh", signal, secrets: [refresh, userAccessToken.accessToken.value] },
    owner,
  );
}
