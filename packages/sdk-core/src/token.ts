/**
 * The two grants of `oauth/token`: an authorization code for the user's first tokens, and a
 * refresh token for a new pair. Each answer's token is verified before its payload is used.
 */
import type { ClientContext } from "./config.ts";
import { parseInput } from "./internal/checks.ts";
import { refreshUnchecked, tokenGrant } from "./request/token-grant.ts";
import { exchangeOptionsSchema, refreshOptionsSchema } from "./schemas.ts";
import type { ContractDetails, UserAccessToken } from "./types.ts";

/** Options of `exchangeCodeForToken`. */
export interface ExchangeCodeForTokenOptions {
  /** The contract the authorization was for (its private key signs the request). */
  contractDetails: ContractDetails;
  /** The `code` digi.me sent to the redirect URI. */
  authorizationCode: string;
  /** The verifier `getAuthorizeUrl` returned, kept since. */
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
    options.contractDetails,
  );
}

/**
 * Gets a new {@link UserAccessToken} with the refresh token (`POST oauth/token`,
 * `grant_type: refresh_token`). The refresh token may be single-use: keep the pair this returns.
 * @throws TypeValidationError before any request for bad options; ServerError (for instance
 *   `401 InvalidToken` when the refresh token is no longer valid), NetworkError,
 *   TokenVerificationError otherwise.
 */
export async function refreshToken(
  context: ClientContext,
  options: RefreshTokenOptions,
): Promise<UserAccessToken> {
  const checked = parseInput(refreshOptionsSchema(), options, "refreshToken options");
  return refreshUnchecked(context, checked, options.contractDetails);
}
