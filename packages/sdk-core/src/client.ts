/**
 * `init`: the SDK object, bound to one configuration and one cache of key sets; and the same
 * operations as standalone functions of a configuration, so that a bundle holds only the operations
 * it imports (`init`'s object holds them all).
 */
import {
  type AuthorizeUrlResult,
  type GetAuthorizeUrlOptions,
  getAuthorizeUrl as getAuthorizeUrlWith,
} from "./authorize.ts";
import { type ClientContext, resolveConfig, type SDKConfig } from "./config.ts";
import {
  type DeleteUserOptions,
  type DeleteUserResult,
  deleteUser as deleteUserWith,
} from "./delete-user.ts";
import { type PushDataOptions, type PushDataResult, pushData as pushDataWith } from "./push-data.ts";
import {
  type ReadAccountsOptions,
  type ReadAccountsResult,
  readAccounts as readAccountsWith,
} from "./read-accounts.ts";
import { createKeySetResolver } from "./request/key-set.ts";
import { type SendSealedOptions, sendSealed as sendSealedWith } from "./send-sealed.ts";
import {
  type ExchangeCodeForTokenOptions,
  exchangeCodeForToken as exchangeCodeForTokenWith,
  type RefreshTokenOptions,
  refreshToken as refreshTokenWith,
} from "./token.ts";
import type { UserAccessToken, WriteResult } from "./types.ts";
import { type WriteOptions, write as writeWith } from "./write.ts";

/** The SDK, as `init` returns it. Every method checks its options before sending anything. */
export interface DigiMeSDK {
  /** Starts an authorization; returns the URL to send the user to and the PKCE verifier to keep. */
  getAuthorizeUrl(options: GetAuthorizeUrlOptions): Promise<AuthorizeUrlResult>;
  /** Exchanges the code from the redirect URI for the user's tokens. */
  exchangeCodeForToken(options: ExchangeCodeForTokenOptions): Promise<UserAccessToken>;
  /** Gets a new token pair; the old refresh token may stop working. */
  refreshToken(options: RefreshTokenOptions): Promise<UserAccessToken>;
  /** Seals and sends a file to the user's library. */
  write(options: WriteOptions): Promise<WriteResult>;
  /** Sends a file that `seal` sealed (possibly elsewhere, e.g. in the browser). */
  sendSealed(options: SendSealedOptions): Promise<WriteResult>;
  /** Imports a file into the user's library, or pushes FHIR data to a provider account. */
  pushData(options: PushDataOptions): Promise<PushDataResult>;
  /** Lists the user's accounts. */
  readAccounts(options: ReadAccountsOptions): Promise<ReadAccountsResult>;
  /** Deletes the user's library and tokens at digi.me. */
  deleteUser(options: DeleteUserOptions): Promise<DeleteUserResult>;
}

/**
 * Makes the SDK object for one application.
 * @throws TypeValidationError for bad options (code `NO_FETCH` when there is no fetch).
 */
export function init(config: SDKConfig): DigiMeSDK {
  const context = createContext(config);
  return {
    getAuthorizeUrl: (options) => getAuthorizeUrlWith(context, options),
    exchangeCodeForToken: (options) => exchangeCodeForTokenWith(context, options),
    refreshToken: (options) => refreshTokenWith(context, options),
    write: (options) => writeWith(context, options),
    sendSealed: (options) => sendSealedWith(context, options),
    pushData: (options) => pushDataWith(context, options),
    readAccounts: (options) => readAccountsWith(context, options),
    deleteUser: (options) => deleteUserWith(context, options),
  };
}

function createContext(config: SDKConfig): ClientContext {
  const resolved = resolveConfig(config);
  return {
    config: resolved,
    resolveVerificationKey: createKeySetResolver({
      http: resolved,
      trustedOrigins: resolved.trustedKeyOrigins,
    }),
  };
}

// --- Standalone operations ------------------------------------------------------------------------

// The context of each configuration object, made on its first use and kept while the object lives.
const contexts = new WeakMap<SDKConfig, ClientContext>();

// Async, so that a bad configuration rejects the operation's promise like bad options do.
async function contextOf(config: SDKConfig): Promise<ClientContext> {
  let context = contexts.get(config);
  if (context === undefined) {
    context = createContext(config);
    contexts.set(config, context);
  }
  return context;
}

/**
 * `init(config).write(options)` as a standalone function: seals a file for the postbox and sends it
 * to the user's library (see {@link DigiMeSDK.write}). A bundle that imports this function and not
 * `init` leaves out authorization and the code exchange.
 *
 * `config` is checked on its first use and the result kept per object, with the key sets it
 * fetches: pass the same object every time (a changed or new object is not seen as the same).
 * @throws (as a rejection) TypeValidationError for a bad `config` or bad options, before any
 *   request; ServerError, NetworkError, TokenVerificationError, ResealRequiredError otherwise.
 */
export async function write(config: SDKConfig, options: WriteOptions): Promise<WriteResult> {
  return writeWith(await contextOf(config), options);
}

/**
 * `init(config).sendSealed(options)` as a standalone function: sends a file that `seal` sealed (see
 * {@link DigiMeSDK.sendSealed}). `config` is kept per object, as for {@link write}.
 * @throws (as a rejection) TypeValidationError for a bad `config` or bad options, before any
 *   request; ServerError, NetworkError, TokenVerificationError, ResealRequiredError otherwise.
 */
export async function sendSealed(config: SDKConfig, options: SendSealedOptions): Promise<WriteResult> {
  return sendSealedWith(await contextOf(config), options);
}

/**
 * `init(config).refreshToken(options)` as a standalone function (see {@link DigiMeSDK.refreshToken}).
 * `config` is kept per object, as for {@link write}.
 * @throws (as a rejection) TypeValidationError for a bad `config` or bad options, before any
 *   request; ServerError, NetworkError, TokenVerificationError otherwise.
 */
export async function refreshToken(
  config: SDKConfig,
  options: RefreshTokenOptions,
): Promise<UserAccessToken> {
  return refreshTokenWith(await contextOf(config), options);
}

/**
 * `init(config).exchangeCodeForToken(options)` as a standalone function (see
 * {@link DigiMeSDK.exchangeCodeForToken}). `config` is kept per object, as for {@link write}.
 * @throws (as a rejection) TypeValidationError for a bad `config` or bad options, before any
 *   request; ServerError, NetworkError, TokenVerificationError otherwise.
 */
export async function exchangeCodeForToken(
  config: SDKConfig,
  options: ExchangeCodeForTokenOptions,
): Promise<UserAccessToken> {
  return exchangeCodeForTokenWith(await contextOf(config), options);
}

/**
 * `init(config).getAuthorizeUrl(options)` as a standalone function (see
 * {@link DigiMeSDK.getAuthorizeUrl}). `config` is kept per object, as for {@link write}.
 * @throws (as a rejection) TypeValidationError for a bad `config` or bad options, before any
 *   request; ServerError, NetworkError, TokenVerificationError otherwise.
 */
export async function getAuthorizeUrl(
  config: SDKConfig,
  options: GetAuthorizeUrlOptions,
): Promise<AuthorizeUrlResult> {
  return getAuthorizeUrlWith(await contextOf(config), options);
}

/**
 * `init(config).pushData(options)` as a standalone function: imports a file into the user's
 * library or pushes FHIR data to a provider account (see {@link DigiMeSDK.pushData}), as the
 * official SDK's `pushData` (versions 11 to 16). A bundle that imports it carries no postbox
 * envelope. `config` is kept per object, as for {@link write}.
 * @throws (as a rejection) TypeValidationError for a bad `config` or bad options, before any
 *   request; ServerError, NetworkError, TokenVerificationError, DataRequiredError otherwise.
 */
export async function pushData(config: SDKConfig, options: PushDataOptions): Promise<PushDataResult> {
  return pushDataWith(await contextOf(config), options);
}

/**
 * `init(config).readAccounts(options)` as a standalone function (see {@link DigiMeSDK.readAccounts}).
 * `config` is kept per object, as for {@link write}.
 * @throws (as a rejection) TypeValidationError for a bad `config` or bad options, before any
 *   request; ServerError, NetworkError, TokenVerificationError otherwise.
 */
export async function readAccounts(
  config: SDKConfig,
  options: ReadAccountsOptions,
): Promise<ReadAccountsResult> {
  return readAccountsWith(await contextOf(config), options);
}

/**
 * `init(config).deleteUser(options)` as a standalone function (see {@link DigiMeSDK.deleteUser}).
 * `config` is kept per object, as for {@link write}.
 * @throws (as a rejection) TypeValidationError for a bad `config` or bad options, before any
 *   request; ServerError, NetworkError, TokenVerificationError otherwise.
 */
export async function deleteUser(config: SDKConfig, options: DeleteUserOptions): Promise<DeleteUserResult> {
  return deleteUserWith(await contextOf(config), options);
}
