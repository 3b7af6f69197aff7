/**
 * The two grants of `oauth/token`: an authorization code for the user's first tokens, and a
 * refresh token for a new pair. Each answer's token is verified before its payload is used.
 */
import type { ClientContext } from "./config.js";
import { contractKey } from "./internal/input-keys.js";
import { clientId, signRequestJwt } from "./internal/request-jwt.js";
import { invalidResponse, verifiedTokenPayload } from "./internal/response-token.js";
import { sendRequest } from "./request/send.js";
import { exchangeOptionsSchema, parseInput, refreshOptionsSchema } from "./schemas.js";
import type { ContractDetails, UserAccessToken } from "./types.js";

/** Options of `exchangeCodeForToken`. */
export interface ExchangeCodeForTokenOptions {
  /** The contract the authorization was for (its private key signs the request). */
  contractDetails: ContractDetails;
  /** The `code` digi.me sent to the redirect URI. */
  authorizationCode: string;
  /** The verifier `getAuthorizeUrl` answered, kept since. */
  codeVerifier: string;
  /** Cancels the request (and its retries). */
  signal?: AbortSignal;
}

/** Options of `refreshToken`. */
export interface RefreshTokenOptions {
  /** The contract the token belongs to (its private key signs the request). */
  contractDetails: ContractDetails;
  /** The token to refresh; only its refresh token is sent. */
  userAccessToken: UserAccessToken;
  /** Cancels the request (and its retries). */
  signal?: AbortSignal;
}

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

async function tokenGrant(
  context: ClientContext,
  contractDetails: ContractDetails,
  claims: Record<string, unknown>,
  options: { what: string; signal: AbortSignal | undefined; secrets: string[] },
): Promise<UserAccessToken> {
  const { config } = context;
  const key = await contractKey(contractDetails.privateKey, ["contractDetails", "privateKey"]);
  const id = clientId(config.applicationId, contractDetails.contractId);
  const { data } = await sendRequest(config, {
    what: options.what,
    signal: options.signal,
    secrets: options.secrets,
    build: async () => ({
      url: `${config.baseUrl}oauth/token`,
      method: "POST",
      // As the official SDK sends them: the refresh has a Content-Type, the exchange none.
      headers: {
        Accept: "application/json",
        Authorization: `Bearer ${await signRequestJwt({ ...claims, client_id: id }, key)}`,
        ...(claims.refresh_token === undefined ? {} : { "Content-Type": "application/json" }),
      },
    }),
  });
  return toUserAccessToken(await verifiedTokenPayload(context, data, options.what), options.what);
}

/**
 * Exchanges the authorization code for the user's first {@link UserAccessToken}
 * (`POST oauth/token`, `grant_type: authorization_code`).
 * @throws TypeValidationError before any request for bad options; ServerError, NetworkError,
 *   TokenVerificationError otherwise.
 */
export async function exchangeCodeForToken(
  context: ClientContext,
  options: ExchangeCodeForTokenOptions,
): Promise<UserAccessToken> {
  const { contractDetails, authorizationCode, codeVerifier, signal } = parseInput(
    exchangeOptionsSchema(),
    options,
    "exchangeCodeForToken options",
  );
  return tokenGrant(
    context,
    contractDetails,
    { code: authorizationCode, code_verifier: codeVerifier, grant_type: "authorization_code" },
    { what: "token exchange", signal, secrets: [authorizationCode, codeVerifier] },
  );
}

/**
 * Gets a new {@link UserAccessToken} with the refresh token (`POST oauth/token`,
 * `grant_type: refresh_token`). The refresh token may be single-use: keep the pair this answers.
 * @throws TypeValidationError before any request for bad options; ServerError (for instance
 *   `401 InvalidToken` when the refresh token is no longer valid), NetworkError,
 *   TokenVerificationError otherwise.
 */
export async function refreshToken(
  context: ClientContext,
  options: RefreshTokenOptions,
): Promise<UserAccessToken> {
  return refreshChecked(context, parseInput(refreshOptionsSchema(), options, "refreshToken options"));
}

/** {@link refreshToken} of options already checked (a write's refresh). */
export function refreshChecked(
  context: ClientContext,
  options: RefreshTokenOptions,
): Promise<UserAccessToken> {
  const { contractDetails, userAccessToken, signal } = options;
  const refresh = userAccessToken.refreshToken.value;
  return tokenGrant(
    context,
    contractDetails,
    { grant_type: "refresh_token", refresh_token: refresh },
    { what: "token refresh", signal, secrets: [refresh, userAccessToken.accessToken.value] },
  );
}
