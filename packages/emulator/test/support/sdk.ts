/**
 * sdk-core as the emulator's tests drive it (the emulator's `src/` never imports it): its client
 * against a running emulator, the test contract's key as sdk-core takes it, the files' descriptor,
 * and the sign-in through the consent page.
 */
import { type ContractDetails, init, type UserAccessToken } from "@digime-edge/sdk-core";
import { afterAll, beforeAll } from "vitest";
import type { RunningEmulator, StartEmulatorOptions } from "../../src/index.ts";
import { approvedRedirect, start } from "./emulator.ts";
import { contractKeys } from "./protocol.ts";

/** sdk-core's client. */
export type Sdk = ReturnType<typeof init>;

/** The test contract's private key as sdk-core takes it (PKCS#1 PEM). */
export const CONTRACT_PRIVATE_KEY = contractKeys.privateKey
  .export({ type: "pkcs1", format: "pem" })
  .toString();

/** The descriptor of the files sdk-core sends in these tests. */
export const SDK_FILE_DESCRIPTOR = {
  mimeType: "application/octet-stream",
  accounts: [{ accountId: "sdk" }],
  tags: ["sdk"],
};

/**
 * sdk-core's client for the emulator, with short retries.
 *
 * @param emu - The running emulator.
 */
export const sdkFor = (emu: RunningEmulator): Sdk =>
  init({
    applicationId: "test-app",
    baseUrl: emu.baseUrl,
    onboardUrl: emu.onboardUrl,
    retry: { limit: 2, baseDelayMs: 10, maxRetryAfterMs: 2_000 },
  });

/** What {@link useSdkEmulator} hands a test file: set once its tests run. */
export interface SdkEmulator {
  emu: RunningEmulator;
  sdk: Sdk;
}

/**
 * An auto-approving emulator ({@link start}) and sdk-core's client for it ({@link sdkFor}), started
 * before the file's tests and closed after them. Call at the top level.
 *
 * @param options - More of the emulator's options (its contracts).
 * @returns The emulator and the client, set once the tests run.
 */
export function useSdkEmulator(options: StartEmulatorOptions = {}): SdkEmulator {
  const setup = {} as SdkEmulator;
  beforeAll(async () => {
    setup.emu = await start({ autoApprove: true, ...options });
    setup.sdk = sdkFor(setup.emu);
  });
  afterAll(() => setup.emu?.close());
  return setup;
}

/** What {@link sdkSignIn} takes: `getAuthorizeUrl`'s options but the state. */
export interface SdkSignInOptions {
  contractDetails: ContractDetails;
  callback: string;
  sourceType?: "push";
  userAccessToken?: UserAccessToken;
}

/**
 * getAuthorizeUrl (state `sdk-state`) -> the consent page (auto-approve) -> exchangeCodeForToken.
 *
 * @param sdk - sdk-core's client.
 * @param options - The contract, the callback, and optionally a source type and the user's token.
 * @returns The authorization URL, the approved redirect's query and the user's token.
 */
export async function sdkSignIn(sdk: Sdk, options: SdkSignInOptions) {
  const { url, codeVerifier } = await sdk.getAuthorizeUrl({ ...options, state: "sdk-state" });
  const query = await approvedRedirect(url, "sdk-state");
  const token = await sdk.exchangeCodeForToken({
    contractDetails: options.contractDetails,
    authorizationCode: query.get("code") ?? "",
    codeVerifier,
  });
  return { url, query, token };
}
