/**
 * The bench's two clients of the same emulator: a user signed in through the Worker (the cookie a
 * browser would hold), and sdk-core used directly from Node with the contract's key (the baseline).
 */
import type { RunningEmulator } from "@digime-edge/emulator";
import { type ContractDetails, type DigiMeSDK, init, type UserAccessToken } from "@digime-edge/sdk-core";
import type { WorkerHost } from "./hosts.ts";

/** A user signed in through the Worker. */
export interface WorkerSession {
  host: WorkerHost;
  /** The Worker's origin as requests name it (also sent as `Origin`). */
  origin: string;
  cookie: string;
  /** The postbox public key and default account, from `GET /api/session`. */
  publicKey: string;
  accountId: string;
}

/** sdk-core in Node, signed in with its own token. */
export interface DirectClient {
  sdk: DigiMeSDK;
  contractDetails: ContractDetails;
  postboxId: string;
  publicKey: string;
  /** The latest token (writes may rotate it). */
  token: UserAccessToken;
}

/** Follows the sign-in through the Worker and the auto-approving emulator. */
export async function signInThroughWorker(host: WorkerHost, origin: string): Promise<WorkerSession> {
  const start = await host.fetch(`${origin}/auth/start`, { redirect: "manual" });
  const authCookie = start.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  if (!start.headers.get("location"))
    throw new Error(`sign-in (${host.label}): /auth/start answered ${start.status} ${await start.text()}`);
  const consent = await fetch(start.headers.get("location") as string, { redirect: "manual" });
  const done = await host.fetch(consent.headers.get("location") as string, {
    redirect: "manual",
    headers: { cookie: authCookie },
  });
  const session = done.headers.getSetCookie().find((c) => c.startsWith("digime_session="));
  if (!session) throw new Error(`sign-in through the Worker failed: ${done.status} ${await done.text()}`);
  const cookie = session.split(";")[0] as string;
  const info = (await (await host.fetch(`${origin}/api/session`, { headers: { cookie } })).json()) as {
    publicKey: string;
    accountId: string;
  };
  return { host, origin, cookie, publicKey: info.publicKey, accountId: info.accountId };
}

/**
 * Signs sdk-core in directly (authorize, auto-approve, exchange); sdk-core's requests (the
 * exchange and every write) go through `through` when given (a floor Worker, `floors.ts`).
 */
export async function signInDirect(
  emulator: RunningEmulator,
  applicationId: string,
  contractDetails: ContractDetails & { redirectUri: string },
  through?: typeof fetch,
): Promise<DirectClient> {
  const { baseUrl, onboardUrl } = emulator;
  const sdk = init({ applicationId, baseUrl, onboardUrl, ...(through ? { fetch: through } : {}) });
  // An import contract (version-10 sign-in) wants a state, and the redirect URI as callback.
  const started = await sdk.getAuthorizeUrl({
    contractDetails,
    callback: contractDetails.redirectUri,
    state: "bench",
  });
  const back = new URL((await fetch(started.url, { redirect: "manual" })).headers.get("location") as string);
  const token = await sdk.exchangeCodeForToken({
    contractDetails,
    authorizationCode: back.searchParams.get("code") as string,
    codeVerifier: started.codeVerifier,
  });
  return {
    sdk,
    contractDetails,
    postboxId: back.searchParams.get("postboxId") as string,
    publicKey: back.searchParams.get("publicKey") as string,
    token,
  };
}
