/** Shapes shared by the SDK's operations. */

/** A token value and when it expires (milliseconds since the epoch, as digi.me's `expires_on`). */
export interface TokenValue {
  /** The token itself: a secret. */
  value: string;
  /** When it expires, as digi.me gave it (`expires_on`). */
  expiry: number;
}

/** The user's tokens for one contract, as digi.me's official SDK returns them. */
export interface UserAccessToken {
  /** Authorizes calls on the user's behalf. */
  accessToken: TokenValue;
  /** Gets a new pair when the access token has expired. It may be single-use. */
  refreshToken: TokenValue;
  /** The user, when digi.me's token answer named them (its `sub`). */
  user?: { id: string };
  /** The consent, when digi.me's token answer named it (its `consentid`). */
  consentid?: string;
}

/** A contract: its id, its RSA private key and, for the postbox sign-in, its redirect URI. */
export interface ContractDetails {
  /** The contract's id at digi.me. */
  contractId: string;
  /** The contract's RSA private key, PEM (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`). */
  privateKey: string;
  /**
   * The redirect URI registered for the contract (postbox contracts, official SDK up to 8). When
   * it is given, `getAuthorizeUrl` signs it as `redirect_uri` and puts `callback` in the
   * onboarding URL; without it (official SDK 10 on), `callback` is the `redirect_uri`.
   */
  redirectUri?: string;
}

/** Describes a file written to the library; encrypted into the write's `metadata`. */
export interface FileDescriptor {
  /** The file's media type, e.g. `application/json`. */
  mimeType: string;
  /** The accounts the file belongs to. */
  accounts: { accountId: string }[];
  /** Free references, kept with the file. */
  reference?: string[];
  /** Free tags, kept with the file. */
  tags?: string[];
}

/**
 * The content of a file: bytes (a Node `Buffer` is a `Uint8Array`), a `Blob` or `File`, a
 * `ReadableStream` of bytes, or any `AsyncIterable` of bytes (a Node `Readable` is one).
 * Streams and iterables are encrypted as they flow and can be read only once.
 */
export type FileData =
  | Uint8Array
  | ArrayBuffer
  | Blob
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>;

/**
 * Called as the bytes of a request body (or, for `seal`, of the input) are read:
 * `sent` so far, of `total` when it is known. Starts again from 0 when a request is sent again.
 * A callback that throws or rejects is ignored: progress never breaks a write.
 */
export type ProgressCallback = (sent: number, total: number | undefined) => unknown;

/** A file encrypted for a postbox by `seal`, ready for `sendSealed`. Holds no secret. */
export interface SealedFile {
  /** The AES initialisation vector: 16 bytes as 32 lowercase hex characters (the JWT's `iv`). */
  iv: string;
  /** The AES key wrapped with the postbox key (RSA-OAEP SHA-1), base64 (`symmetrical_key`). */
  symmetricalKey: string;
  /** The encrypted file descriptor, base64 (`metadata`). */
  metadata: string;
  /**
   * The encrypted file: bytes when the input was bytes, else a stream that can be read once.
   */
  body: ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer>;
  /** The exact size of `body` in bytes, when the input's size was known. */
  size?: number;
  /** The marker `seal` added to the descriptor's `reference`, when asked (`writeReference`). */
  writeReference?: string;
}

/** What digi.me returned for a write, and the token that last worked. */
export interface WriteResult {
  /** `delivered`: in the library; `pending`: digi.me still could not take it with a fresh token. */
  status: "delivered" | "pending";
  /** `expires` as digi.me returned it. */
  expires: number;
  /** The token that last worked: the one passed in, or the refreshed one. Keep it. */
  userAccessToken: UserAccessToken;
  /** The marker the write added to the descriptor's `reference`, when asked (`writeReference`). */
  writeReference?: string;
}

/**
 * Hooks for a server that shares one user's token between requests. Both are optional; both are
 * called only when a call has to refresh the token (`401 InvalidToken`, or `pending` for a write).
 */
export interface TokenLifecycleOptions {
  /**
   * Replaces the built-in refresh: given the stale token, return a fresh one (for example from a
   * single-flight refresh shared by concurrent writes, or one another request already made).
   */
  refresh?: (stale: UserAccessToken) => Promise<UserAccessToken>;
  /**
   * Called with the new token, and awaited, before it is used: store it here, since the refresh
   * token it replaced may no longer work.
   */
  onTokenRefreshed?: (token: UserAccessToken) => void | Promise<void>;
}
