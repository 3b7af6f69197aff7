/**
 * The sign-in every example script does, the same in Node, Deno and Bun: start the authorization,
 * read where digi.me sends the user, exchange the code. A web app sends the user to the URL and
 * reads the answer at its redirect URI; the emulator with `--auto-approve` answers at once with
 * that redirect, so the scripts read it instead of following it.
 */

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
export interface SignInOptions<Name extends string> {
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
export async function signIn<Token, Name extends string>(
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
