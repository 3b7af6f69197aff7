/** `init`: the SDK object, bound to one configuration and one cache of key sets. */
import { type AuthorizeUrlResult, type GetAuthorizeUrlOptions, getAuthorizeUrl } from "./authorize.js";
import { type ClientContext, resolveConfig, type SDKConfig } from "./config.js";
import { createKeySetResolver } from "./key-set.js";
import { type SendSealedOptions, sendSealed } from "./send-sealed.js";
import {
  type ExchangeCodeForTokenOptions,
  exchangeCodeForToken,
  type RefreshTokenOptions,
  refreshToken,
} from "./token.js";
import type { UserAccessToken, WriteResult } from "./types.js";
import { type WriteOptions, write } from "./write.js";

/** The SDK, as `init` answers it. Every method checks its options before sending anything. */
export interface DigiMeSDK {
  /** Starts an authorization; answers the URL to send the user to and the PKCE verifier to keep. */
  getAuthorizeUrl(options: GetAuthorizeUrlOptions): Promise<AuthorizeUrlResult>;
  /** Exchanges the code from the redirect URI for the user's tokens. */
  exchangeCodeForToken(options: ExchangeCodeForTokenOptions): Promise<UserAccessToken>;
  /** Gets a new token pair; the old refresh token may stop working. */
  refreshToken(options: RefreshTokenOptions): Promise<UserAccessToken>;
  /** Seals and sends a file to the user's library. */
  write(options: WriteOptions): Promise<WriteResult>;
  /** Sends a file that `seal` sealed (possibly elsewhere, e.g. in the browser). */
  sendSealed(options: SendSealedOptions): Promise<WriteResult>;
}

/**
 * Makes the SDK object for one application.
 * @throws TypeValidationError for bad options (code `NO_FETCH` when there is no fetch).
 */
export function init(config: SDKConfig): DigiMeSDK {
  const resolved = resolveConfig(config);
  const context: ClientContext = {
    config: resolved,
    resolveVerificationKey: createKeySetResolver({
      http: resolved,
      trustedOrigins: resolved.trustedKeyOrigins,
    }),
  };
  return {
    getAuthorizeUrl: (options) => getAuthorizeUrl(context, options),
    exchangeCodeForToken: (options) => exchangeCodeForToken(context, options),
    refreshToken: (options) => refreshToken(context, options),
    write: (options) => write(context, options),
    sendSealed: (options) => sendSealed(context, options),
  };
}
