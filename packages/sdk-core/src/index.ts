/** @packageDocumentation digi.me write path on WebCrypto, fetch and web streams. */
export type { AuthorizeUrlResult, GetAuthorizeUrlOptions, SampleDataOptions } from "./authorize.js";
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
} from "./client.js";
export { DEFAULT_BASE_URL, DEFAULT_ONBOARD_URL, type RetryOptions, type SDKConfig } from "./config.js";
export { cbcCiphertextSize, createCbcEncryptStream, encryptCbc } from "./crypto/cbc-stream.js";
export { type CreateEnvelopeOptions, createEnvelope, type Envelope } from "./crypto/envelope.js";
export { type JwtHeader, signJwt, type VerifiedJwt, verifyJwt } from "./crypto/jws.js";
export {
  importContractPrivateKey,
  importPostboxPublicKey,
  importVerificationKey,
  postboxKeyModulusBytes,
  type VerificationKeyInput,
} from "./crypto/keys.js";
export { codeChallengeS256, createCodeVerifier } from "./crypto/pkce.js";
export type { DeleteUserOptions, DeleteUserResult } from "./delete-user.js";
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
} from "./errors.js";
export { isPathSegment } from "./internal/fields.js";
export type {
  PushDataOptions,
  PushDataResult,
  PushLibraryOptions,
  PushProviderOptions,
} from "./push-data.js";
export type { Account, AccountType, ReadAccountsOptions, ReadAccountsResult } from "./read-accounts.js";
export type { AuthorizedOptions } from "./request/authorized.js";
export { type SealOptions, seal } from "./seal.js";
export type { SendSealedOptions } from "./send-sealed.js";
export type { ExchangeCodeForTokenOptions, RefreshTokenOptions } from "./token.js";
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
} from "./types.js";
export { SDK_NAME, SDK_VERSION } from "./version.js";
export type { WriteOptions } from "./write.js";
