/**
 * Starts an authorization: `POST oauth/authorize` with a PKCE challenge, then the onboarding URL
 * the user is sent to.
 */
import type { ClientContext } from "./config.ts";
import { contractKey } from "./crypto/input-keys.ts";
import { codeChallengeS256, createCodeVerifier } from "./crypto/pkce.ts";
import { parseInput, validationError } from "./internal/checks.ts";
import { runtimeSupport } from "./internal/runtime.ts";
import { bearer } from "./request/request-jwt.ts";
import { invalidResponse, verifiedTokenPayload } from "./request/response-token.ts";
import { sendRequest } from "./request/send.ts";
import { authorizeOptionsSchema } from "./schemas.ts";
import type { ContractDetails, UserAccessToken } from "./types.ts";
import { SDK_NAME, SDK_VERSION } from "./version.ts";

/** What `sampleData` of `getAuthorizeUrl` takes (official SDK). */
export interface SampleDataOptions {
  /** A sample data set's id (`sampleDataSet`). */
  dataSet?: string;
  /** Onboard the sample data without asking the user (`sampleDataAutoOnboard`). */
  autoOnboard?: boolean;
}

/** Options of `getAuthorizeUrl`. */
export interface GetAuthorizeUrlOptions {
  /**
   * The contract: its id and private key (signs the request). With a `redirectUri` (a postbox
   * contract, official SDK up to 8), that is the `redirect_uri` and `callback` goes into the
   * onboarding URL; without one (official SDK 10 on), `callback` is the `redirect_uri`.
   */
  contractDetails: ContractDetails;
  /**
   * Without `contractDetails.redirectUri`: where digi.me sends the user back, on success and on
   * failure. With it: where digi.me sends the user when authorization fails
   * (`success=false&errorCode=…`).
   */
  callback: string;
  /**
   * Passed back to the redirect URI untouched. Required (not empty) without
   * `contractDetails.redirectUri`, as the official SDK from version 10 requires it.
   */
  state?: string;
  /** A service to onboard too (`service`). */
  serviceId?: string | number;
  /** `"push"` lists only services that accept provider pushes (`sourceType`); default `"pull"`. */
  sourceType?: "pull" | "push";
  /** Onboard sample data (`sampleDataSet`, `sampleDataAutoOnboard`). */
  sampleData?: SampleDataOptions;
  /** The onboarding pages' language (`lng`). */
  locale?: string;
  /** Whether to list sources that only have sample data (`includeSampleDataOnlySources`). */
  includeSampleDataOnlySources?: boolean;
  /** Whether the data query runs after a service is added (`triggerQuery`). */
  triggerQuery?: boolean;
  /** Scopes the sources listed during onboarding (`sourcesScope`, JSON). */
  sourcesScope?: Record<string, unknown>;
  /** An existing token, so that the same library is used. */
  userAccessToken?: UserAccessToken;
  /** digi.me session options, sent as the body's `actions`. */
  sessionOptions?: Record<string, unknown>;
  /** Cancels the request (and its retries). */
  signal?: AbortSignal;
}

/** What `getAuthorizeUrl` returns. */
export interface AuthorizeUrlResult {
  /** Send the user here. */
  url: string;
  /** Keep it (server side) for `exchangeCodeForToken`. */
  codeVerifier: string;
  /** digi.me's session: its key and when it expires. */
  session: { expiry: number; key: string };
}

/**
 * Asks digi.me for a pre-authorization code and returns the onboarding URL with the PKCE verifier
 * to keep: `{onboardUrl}authorize?code=…[&callback=…][&sourceType=…]` then, when given, `service`,
 * `sampleDataSet`, `sampleDataAutoOnboard`, `lng`, `includeSampleDataOnlySources`, `triggerQuery`
 * and `sourcesScope` (its JSON URI-encoded, then encoded again as a query value, as digi.me
 * expects). With `contractDetails.redirectUri` (postbox sign-in), `callback` is in the URL and
 * `sourceType` only when given; without it, no `callback` and `sourceType` defaults to `"pull"`.
 * @throws TypeValidationError before any request for bad options; ServerError, NetworkError,
 *   TokenVerificationError otherwise.
 */
export async function getAuthorizeUrl(
  context: ClientContext,
  options: GetAuthorizeUrlOptions,
): Promise<AuthorizeUrlResult> {
  const what = "getAuthorizeUrl options";
  const checked = parseInput(authorizeOptionsSchema(), options, what);
  const { contractDetails, callback, state, serviceId, userAccessToken, sessionOptions, signal } = checked;
  const { redirectUri } = contractDetails;
  if (redirectUri === undefined && !state) {
    throw validationError(what, [
      { path: ["state"], message: "is required (not empty) when contractDetails has no redirectUri" },
    ]);
  }
  const { config } = context;
  const key = await contractKey(contractDetails, options.contractDetails);
  const codeVerifier = createCodeVerifier();
  const claims = {
    access_token: userAccessToken?.accessToken.value,
    code_challenge: await codeChallengeS256(codeVerifier),
    code_challenge_method: "S256",
    redirect_uri: redirectUri ?? callback,
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
    throw validationError(what, [{ path: ["sessionOptions"], message: "must serialize to JSON" }]);
  }
  const { data } = await sendRequest(config, {
    what: "authorize",
    signal,
    secrets: [userAccessToken?.accessToken.value, userAccessToken?.refreshToken.value],
    build: async () => ({
      url: `${config.baseUrl}oauth/authorize`,
      method: "POST",
      headers: {
        Accept: "application/json",
        Authorization: await bearer(context, contractDetails, key, claims),
        "Content-Type": "application/json",
      },
      body,
    }),
  });
  const session = (data as { session?: { expiry?: unknown; key?: unknown } } | null)?.session;
  if (typeof session?.expiry !== "number" || typeof session.key !== "string") {
    throw invalidResponse("authorize", "no session { expiry, key }");
  }
  const payload = await verifiedTokenPayload(context, data, "authorize");
  const code = payload.preauthorization_code;
  if (typeof code !== "string" || code === "")
    throw invalidResponse("authorize", "the token has no preauthorization_code");
  const { sampleData, sourcesScope } = checked;
  // In this order, each only when given; URLSearchParams encodes the values.
  const query: [string, unknown][] = [
    ["code", code],
    ["callback", redirectUri === undefined ? undefined : callback],
    // The postbox sign-in keeps its URL of old: no default `sourceType` there.
    ["sourceType", checked.sourceType ?? (redirectUri === undefined ? "pull" : undefined)],
    ["service", serviceId],
    ["sampleDataSet", sampleData?.dataSet],
    ["sampleDataAutoOnboard", sampleData?.autoOnboard],
    ["lng", checked.locale],
    ["includeSampleDataOnlySources", checked.includeSampleDataOnlySources],
    ["triggerQuery", checked.triggerQuery],
    ["sourcesScope", sourcesScope && encodeURIComponent(JSON.stringify(sourcesScope))],
  ];
  const url = new URL("authorize", config.onboardUrl);
  for (const [name, value] of query) if (value !== undefined) url.searchParams.append(name, String(value));
  return { url: url.href, codeVerifier, session: { expiry: session.expiry, key: session.key } };
}
