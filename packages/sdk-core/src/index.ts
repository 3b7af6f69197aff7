/** @packageDocumentation digi.me write path on WebCrypto, fetch and web streams. */
export type { AuthorizeUrlResult, GetAuthorizeUrlOptions, SampleDataOptions } from "./authorize.ts";
export {
  type DigiMeSDK,
  deleteUser,
  exchangeCodeForToken,
  getAuthorizeUrl,
  init,
  pushData,
  readAccounts,
  refreshToken,
  sendSealed,
  write,
} from "./client.ts";
export { DEFAULT_BASE_URL, DEFAULT_ONBOARD_URL, type RetryOptions, type SDKConfig } from "./config.ts";
export { cbcCiphertextSize, createCbcEncryptStream, encryptCbc } from "./crypto/cbc-stream.ts";
export { type CreateEnvelopeOptions, createEnvelope, type Envelope } from "./crypto/envelope.ts";
export { type JwtHeader, signJwt, type VerifiedJwt, verifyJwt } from "./crypto/jws.ts";
export {
  importContractPrivateKey,
  importPostboxPublicKey,
  importVerificationKey,
  postboxKeyModulusBytes,
  type VerificationKeyInput,
} from "./crypto/keys.ts";
export { codeChallengeS256, createCodeVerifier } from "./crypto/pkce.ts";
export type { DeleteUserOptions, DeleteUserResult } from "./delete-user.ts";
export {
  DataRequiredError,
  type DigiMeErrorCode,
  DigiMeSDKError,
  type DigiMeSDKErrorOptions,
  NetworkError,
  type NetworkErrorOptions,
  ResealRequiredError,
  SDKInvalidError,
  ServerError,
  type ServerErrorOptions,
  TokenVerificationError,
  TypeValidationError,
  type ValidationIssue,
  type WriteDelivery,
} from "./errors.ts";
export { isPathSegment } from "./internal/fields.ts";
export type {
  PushDataOptions,
  PushDataResult,
  PushLibraryOptions,
  PushProviderOptions,
} from "./push-data.ts";
export type { Account, AccountType, ReadAccountsOptions, ReadAccountsResult } from "./read-accounts.ts";
export type { AuthorizedOptions } from "./request/authorized.ts";
export { type SealOptions, seal } from "./seal.ts";
export type { SendSealedOptions } from "./send-sealed.ts";
export type { ExchangeCodeForTokenOptions, RefreshTokenOptions } from "./token.ts";
export type {
  ContractDetails,
  FileData,
  FileDescriptor,
  ProgressCallback,
  SealedFile,
  TokenLifecycleOptions,
  TokenValue,
  UserAccessToken,
  WriteResult,
} from "./types.ts";
export { SDK_NAME, SDK_VERSION } from "./version.ts";
export type { WriteOptions } from "./write.ts";
