/**
 * Starts an authorization: `POST oauth/authorize` with a PKCE challenge, then the onboarding URL
 * the user is sent to.
 */
import type { ClientContext } from "./config.js";
import { codeChallengeS256, createCodeVerifier } from "./crypto/pkce.js";
import { sendRequest } from "./internal/http.js";
import { contractKey } from "./internal/input-keys.js";
import { clientId, signRequestJwt } from "./internal/request-jwt.js";
import { invalidResponse, verifiedTokenPayload } from "./internal/response-token.js";
import { runtimeSupport } from "./internal/runtime.js";
import { authorizeOptionsSchema, parseInput, validationError } from "./schemas.js";
import type { ContractDetails, UserAccessToken } from "./types.js";
import { SDK_NAME, SDK_VERSION } from "./version.js";

/** Options of `getAuthorizeUrl`. */
export interface GetAuthorizeUrlOptions {
  /** The write contract: its id, private key (signs the request) and redirect URI. */
  contractDetails: ContractDetails;
  /** Where digi.me sends the user when authorization fails (`success=false&errorCode=…`). */
  callback: string;
  /** Passed back to the redirect URI untouched. */
  state?: string;
  /** A service to onboard too. */
  serviceId?: string | number;
  /** An existing token, so that the same library is used. */
  userAccessToken?: UserAccessToken;
  /** digi.me session options, sent as the body's `actions`. */
  sessionOptions?: Record<string, unknown>;
  /** Cancels the request (and its retries). */
  signal?: AbortSignal;
}

/** What `getAuthorizeUrl` answers. */
export interface AuthorizeUrlResult {
  /** Send the user here. */
  url: string;
  /** Keep it (server side) for `exchangeCodeForToken`. */
  codeVerifier: string;
  /** digi.me's session: its key and when it expires. */
  session: { expiry: number; key: string };
}

/**
 * Asks digi.me for a pre-authorization code and answers the onboarding URL
 * `{onboardUrl}authorize?code=…&callback=…[&service=…]`, with the PKCE verifier to keep.
 * @throws TypeValidationError before any request for bad options; ServerError, NetworkError,
 *   TokenVerificationError otherwise.
 */
export async function getAuthorizeUrl(
  context: ClientContext,
  options: GetAuthorizeUrlOptions,
): Promise<AuthorizeUrlResult> {
  const { contractDetails, callback, state, serviceId, userAccessToken, sessionOptions, signal } = parseInput(
    authorizeOptionsSchema(),
    options,
    "getAuthorizeUrl options",
  );
  const { config } = context;
  const key = await contractKey(contractDetails.privateKey, ["contractDetails", "privateKey"]);
  const codeVerifier = createCodeVerifier();
  const claims = {
    access_token: userAccessToken?.accessToken.value,
    client_id: clientId(config.applicationId, contractDetails.contractId),
    code_challenge: await codeChallengeS256(codeVerifier),
    code_challenge_method: "S256",
    redirect_uri: contractDetails.redirectUri,
    response_mode: "query",
    response_type: "code",
    state,
  };
  const runtime = runtimeSupport().name;
  const agent = {
    sdk: { name: SDK_NAME, version: SDK_VERSION, meta: runtime === undefined ? {} : { runtime } },
  };
  let body: string;
  try {
    body = JSON.stringify({ agent, actions: sessionOptions });
  } catch {
    // BigInts and cycles throw; their values are not echoed.
    throw validationError("getAuthorizeUrl options", [
      { path: ["sessionOptions"], message: "must serialize to JSON" },
    ]);
  }
  const what = "authorize";
  const { data } = await sendRequest(config, {
    what,
    signal,
    secrets: [userAccessToken?.accessToken.value, userAccessToken?.refreshToken.value],
    build: async () => ({
      url: `${config.baseUrl}oauth/authorize`,
      method: "POST",
      headers: {
        Accept: "application/json",
        Authorization: `Bearer ${await signRequestJwt(claims, key)}`,
        "Content-Type": "application/json",
      },
      body,
    }),
  });
  const session = (data as { session?: { expiry?: unknown; key?: unknown } } | null)?.session;
  if (typeof session?.expiry !== "number" || typeof session.key !== "string") {
    throw invalidResponse(what, "no session { expiry, key }");
  }
  const payload = await verifiedTokenPayload(context, data, what);
  const code = payload.preauthorization_code;
  if (typeof code !== "string" || code === "")
    throw invalidResponse(what, "the token has no preauthorization_code");
  const url = new URL("authorize", config.onboardUrl);
  url.searchParams.set("code", code);
  url.searchParams.set("callback", callback);
  if (serviceId !== undefined) url.searchParams.set("service", String(serviceId));
  return { url: url.href, codeVerifier, session: { expiry: session.expiry, key: session.key } };
}
