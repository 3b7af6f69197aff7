/**
 * What every call made with the user's token shares: the request JWT that carries the token
 * (`access_token`, `client_id`, a fresh `nonce` and `timestamp` per attempt), and the token's
 * lifecycle around the attempts: send; when digi.me says the token no longer works (`401
 * InvalidToken`, a 401 without an error body, or a postbox write's `pending`), refresh once and
 * send once more if the body can be sent again; every error after the refresh carries the
 * refreshed token.
 */
import type { ClientContext } from "../config.ts";
import { contractKey } from "../crypto/input-keys.ts";
import { carryToken, DataRequiredError, DigiMeSDKError, type ServerError } from "../errors.ts";
import { conforms, validationError } from "../internal/checks.ts";
import { userAccessTokenSchema } from "../internal/fields.ts";
import type { ContractDetails, TokenLifecycleOptions, UserAccessToken } from "../types.ts";
import { bearer } from "./request-jwt.ts";
import { type AttemptContext, type DeliveryTracker, type PreparedRequest, sendRequest } from "./send.ts";
import { refreshUnchecked } from "./token-grant.ts";

/** The options every call with the user's token takes. */
export interface AuthorizedOptions extends TokenLifecycleOptions {
  /** The contract (its private key signs the requests). */
  contractDetails: ContractDetails;
  /** The user's token; refreshed once if digi.me says it no longer works. */
  userAccessToken: UserAccessToken;
  /** Cancels the call: its requests, their retries and the refresh. */
  signal?: AbortSignal;
  /**
   * Called once, with the refreshed token, when the call had to refresh the user's token (as the
   * official SDK's `onAccessTokenChange`): store it, the one passed in may be spent.
   */
  onAccessTokenChange?: (token: UserAccessToken) => void | Promise<void>;
}

/** Whether `error` says the access token is no longer valid: `401 InvalidToken`, or a bare 401. */
function isInvalidToken(error: unknown): boolean {
  const { status, code } = (error ?? {}) as Partial<ServerError>;
  return status === 401 && (code === "InvalidToken" || code === "HTTP_401");
}

/**
 * Runs `send` with the caller's token and, when digi.me says it no longer works (an error, or an
 * answer `{ status: "pending" }`: a postbox write's), once more with a refreshed one. Returns what
 * `send` returned with the token that last worked.
 * @param resend Whether the body can be sent again after the refresh (false: a stream that went
 *   out); when it cannot, the call ends with a `Spent` (default {@link DataRequiredError}).
 * @throws whatever `send` or the refresh threw; a {@link DigiMeSDKError} after the refresh
 *   carries the refreshed token (`error.userAccessToken`).
 */
export async function withToken<T extends object>(
  context: ClientContext,
  options: AuthorizedOptions,
  send: (token: UserAccessToken) => Promise<T>,
  resend?: () => boolean,
  Spent = DataRequiredError,
): Promise<T & { userAccessToken: UserAccessToken }> {
  const { userAccessToken } = options;
  try {
    const answer = await send(userAccessToken);
    if ((answer as { status?: unknown }).status !== "pending") return { ...answer, userAccessToken };
  } catch (error) {
    if (!isInvalidToken(error)) throw error;
  }
  const fresh = await refreshed(context, options);
  if (resend?.() === false) {
    throw new Spent("Token refreshed after the stream was sent: send the data again", {
      userAccessToken: fresh,
    });
  }
  try {
    return { ...(await send(fresh)), userAccessToken: fresh };
  } catch (error) {
    // The refresh may have spent the caller's refresh token: the error must hand over the new pair.
    throw error instanceof DigiMeSDKError ? carryToken(error, fresh) : error;
  }
}

async function refreshed(context: ClientContext, options: AuthorizedOptions): Promise<UserAccessToken> {
  const { refresh } = options;
  const fresh = refresh ? await refresh(options.userAccessToken) : await refreshUnchecked(context, options);
  if (refresh && !conforms(userAccessTokenSchema, fresh)) {
    throw validationError("token refresh", [{ path: ["refresh"], message: "must answer a UserAccessToken" }]);
  }
  await options.onTokenRefreshed?.(fresh);
  await options.onAccessTokenChange?.(fresh);
  return fresh;
}

/** One request of a call with the user's token, as {@link sendAuthorized} sends it. */
export interface AuthorizedRequest {
  /** Names the call in messages. */
  what: string;
  /** The HTTP method. */
  method: PreparedRequest["method"];
  /** The whole URL. */
  url: string;
  /** Headers besides `Authorization`. */
  headers?: Record<string, string>;
  /** The body of one attempt, with the headers it needs. */
  body?: (attempt: AttemptContext) => Promise<Partial<PreparedRequest>>;
  /** Whether the body can be made again (default: yes). */
  replayable?: () => boolean;
  /** Shared by the call's requests, so that its NetworkErrors carry `delivery`. */
  delivery?: DeliveryTracker;
  /** Any 2xx is success, whatever its body (the import API's answers); `data` is then `null`. */
  anyBody?: boolean;
}

/**
 * Sends `request` with the user's token (a fresh JWT per attempt, retries as configured), through
 * {@link withToken}; returns the 2xx response's JSON (`null` when empty) and the token that worked.
 * `options` must be checked; its contract key is imported here, found again by `owner`, the
 * caller's object `options.contractDetails` was checked from (see `contractKey`).
 */
export async function sendAuthorized(
  context: ClientContext,
  options: AuthorizedOptions,
  request: AuthorizedRequest,
  owner?: object,
): Promise<{ data: unknown; userAccessToken: UserAccessToken }> {
  const { contractDetails, signal } = options;
  const key = await contractKey(contractDetails, owner);
  // The rest (`what`, `replayable`, `delivery`, `anyBody`) is what `sendRequest` takes as it is.
  const { url, method, headers, body: makeBody, ...sending } = request;
  // The response (its `status` a number, never a postbox write's "pending"), as `withToken` takes it.
  const send = (token: UserAccessToken) =>
    sendRequest(context.config, {
      ...sending,
      signal,
      secrets: [token.accessToken.value, token.refreshToken.value],
      build: async (attempt) => {
        const body = await makeBody?.(attempt);
        return {
          ...body,
          url,
          method,
          headers: {
            ...headers,
            ...body?.headers,
            Authorization: await bearer(context, contractDetails, key, {
              access_token: token.accessToken.value,
            }),
          },
        };
      },
    });
  return withToken(context, options, send, sending.replayable);
}
