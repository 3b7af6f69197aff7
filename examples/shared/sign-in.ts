/**
 * The sign-in every example script does, the same in Node, Deno and Bun: start the authorization,
 * read where digi.me sends the user, exchange the code. A web app sends the user to the URL and
 * reads the answer at its redirect URI; the emulator with `--auto-approve` responds at once with
 * that redirect, so the scripts read it instead of following it.
 */
import type { ExampleRuntime, ExampleSettings } from "./settings.ts";

/** The contract as sdk-core takes it. */
export interface ExampleContract {
  contractId: string;
  privateKey: string;
  /** Given: the postbox sign-in (official SDK up to 8). Left out: the import sign-in (10 on). */
  redirectUri?: string;
}

/** The part of sdk-core's client the sign-in uses (so this file imports nothing of it). */
export interface SignInClient<Token> {
  getAuthorizeUrl(options: {
    contractDetails: ExampleContract;
    callback: string;
    state: string;
  }): Promise<{ url: string; codeVerifier: string }>;
  exchangeCodeForToken(options: {
    contractDetails: ExampleContract;
    authorizationCode: string;
    codeVerifier: string;
  }): Promise<Token>;
}

/** What {@link signIn} needs. */
interface SignInOptions<Name extends string> {
  contractDetails: ExampleContract;
  /** Where digi.me sends the user back. */
  callback: string;
  /** Passed back untouched. */
  state: string;
  /** The redirect's parameters the script needs besides `code`, e.g. `postboxId`. */
  returns: readonly Name[];
}

/**
 * Signs the user in and exchanges the code for their tokens (secrets: keep them server-side).
 *
 * @param sdk - sdk-core's client.
 * @param options - The contract, callback, state and the parameters wanted from the redirect.
 * @returns The user's tokens and the redirect's parameters asked for.
 * @throws Error when digi.me shows a consent page instead of redirecting, or the sign-in failed.
 */
async function signIn<Token, Name extends string>(
  sdk: SignInClient<Token>,
  { contractDetails, callback, state, returns }: SignInOptions<Name>,
): Promise<{ userAccessToken: Token; values: Record<Name, string> }> {
  const { url, codeVerifier } = await sdk.getAuthorizeUrl({ contractDetails, callback, state });
  const consent = await fetch(url, { redirect: "manual" });
  await consent.body?.cancel();
  const location = consent.headers.get("location");
  if (!location) {
    throw new Error(`digi.me shows a consent page (HTTP ${consent.status}): open ${url} in a browser,
or start the emulator with --auto-approve`);
  }
  const answer = new URL(location).searchParams;
  if (answer.get("success") !== "true") {
    throw new Error(`authorization failed: ${answer.get("errorCode") ?? "no success=true"}`);
  }
  const missing = ["code", ...returns].filter((name) => !answer.get(name));
  if (missing.length > 0) {
    // The usual cause: a script run against the other kind of contract.
    const kind = answer.get("accountReference")
      ? ": the contract is an import contract (see push-data.ts)"
      : answer.get("postboxId")
        ? ": the contract is a postbox contract (see the write script)"
        : "";
    throw new Error(`the redirect has no ${missing.join(", ")}${kind}`);
  }
  if (answer.get("state") !== state) throw new Error("the redirect carries another state");
  const values = Object.fromEntries(returns.map((name) => [name, answer.get(name)])) as Record<Name, string>;
  const userAccessToken = await sdk.exchangeCodeForToken({
    contractDetails,
    authorizationCode: answer.get("code") as string,
    codeVerifier,
  });
  return { userAccessToken, values };
}

/** What digi.me's redirect names besides `code`, for each kind of contract. */
const REDIRECT_VALUES = {
  /** The postbox to write to, and its key that seals each file. */
  postbox: ["postboxId", "publicKey"],
  /** The account the pushed files are filed under (one of those `readAccounts` lists). */
  import: ["accountReference"],
} as const;

/** A contract's kind: `postbox` (`write`, official SDK up to 8) or `import` (`pushData`, 10 on). */
export type ContractKind = keyof typeof REDIRECT_VALUES;

/** A signed-in user: the contract as signed in with, their token, and the redirect's values. */
export type SignedInUser<Token, Kind extends ContractKind> = {
  contractDetails: ExampleContract;
  /** A secret: keep it server-side. */
  userAccessToken: Token;
} & Record<(typeof REDIRECT_VALUES)[Kind][number], string>;

/**
 * Signs the user in on the settings' contract ({@link signIn}) and prints where the files go. A
 * postbox contract's `contractDetails` carry its `redirectUri` (the sign-in of official SDK up to
 * 8); an import contract's do not, the `callback` being the redirect URI (10 on).
 *
 * @param sdk - sdk-core's client.
 * @param settings - The contract and its redirect URI.
 * @param kind - The contract's kind.
 * @param runtime - The script's runtime (the sign-in's `state` names it).
 * @returns The user: `contractDetails`, `userAccessToken` and the redirect's values.
 * @throws Error as {@link signIn} does.
 */
export async function signInTo<Token, Kind extends ContractKind>(
  sdk: SignInClient<Token>,
  settings: ExampleSettings,
  kind: Kind,
  runtime: ExampleRuntime,
): Promise<SignedInUser<Token, Kind>> {
  const { contractId, privateKey, redirectUri } = settings;
  const contractDetails: ExampleContract =
    kind === "postbox" ? { contractId, privateKey, redirectUri } : { contractId, privateKey };
  const { userAccessToken, values } = await signIn(sdk, {
    contractDetails,
    callback: redirectUri,
    state: `${runtime.name}-${kind}-example`,
    returns: REDIRECT_VALUES[kind],
  });
  const named = values as Record<string, string>;
  console.log(
    kind === "postbox"
      ? `Authorized: postbox ${named.postboxId}`
      : `Authorized: account ${named.accountReference}`,
  );
  return { contractDetails, userAccessToken, ...values } as SignedInUser<Token, Kind>;
}
