import { createHash, randomBytes } from "node:crypto";
import type { ContractDetails } from "@digime-edge/sdk-core";
import { describe, expect, it } from "vitest";
import { download } from "./support/emulator.ts";
import { bothContracts, userFiles } from "./support/import.ts";
import { REDIRECT_URI } from "./support/protocol.ts";
import {
  CONTRACT_PRIVATE_KEY,
  SDK_FILE_DESCRIPTOR as fileDescriptor,
  sdkSignIn,
  useSdkEmulator,
} from "./support/sdk.ts";

/** sdk-core's pushData, readAccounts and deleteUser against the emulator: two sides written apart. */

// As an app of the official SDK from version 10: no redirectUri in the contract details.
const contractDetails: ContractDetails = { contractId: "import-contract", privateKey: CONTRACT_PRIVATE_KEY };

const setup = useSdkEmulator({ contracts: bothContracts() });

/** getAuthorizeUrl (sourceType push) -> the consent page (auto-approve) -> exchangeCodeForToken. */
async function signIn() {
  const { query, token } = await sdkSignIn(setup.sdk, {
    contractDetails,
    callback: REDIRECT_URI,
    sourceType: "push",
  });
  return { token, accountReference: query.get("accountReference") ?? "" };
}

describe("sdk-core pushData, readAccounts and deleteUser against the emulator", () => {
  it("signs in, lists the accounts, pushes a file and a FHIR bundle, and deletes the user", async () => {
    const { token, accountReference } = await signIn();
    expect(token.user?.id).toMatch(/^user_/);
    expect(token.consentid).toMatch(/^consent_/);
    const { accounts } = await setup.sdk.readAccounts({ contractDetails, userAccessToken: token });
    const push = accounts.find((a) => a.type === "PUSH");
    expect(push?.reference).toBe(accountReference);

    const bytes = randomBytes(100_003);
    const pushed = await setup.sdk.pushData({
      type: "library",
      contractDetails,
      userAccessToken: token,
      data: { fileData: bytes, fileName: "ignored.bin", fileDescriptor },
    });
    expect(pushed.userAccessToken).toEqual(token);
    const [file] = await userFiles(setup.emu, token.user?.id ?? "");
    expect(file).toMatchObject({ source: "import", size: bytes.length, metadata: fileDescriptor });
    expect((await download(file?.url ?? "")).equals(bytes)).toBe(true);

    const bundle = { resourceType: "Bundle", type: "transaction", entry: [] };
    await setup.sdk.pushData({
      type: "provider",
      contractDetails,
      userAccessToken: token,
      data: bundle,
      standard: "fhir",
      version: "3.0.2",
      accountId: push?.id ?? "",
    });
    const [fhir] = await userFiles(setup.emu, token.user?.id ?? "");
    expect(JSON.parse((await download(fhir?.url ?? "")).toString())).toEqual(bundle);

    expect(await setup.sdk.deleteUser({ contractDetails, userAccessToken: token })).toMatchObject({
      deleted: true,
    });
    await expect(setup.sdk.readAccounts({ contractDetails, userAccessToken: token })).rejects.toMatchObject({
      status: 401,
    });
  });

  it("streams a ReadableStream, and after an expired token refreshes once and sends bytes again", async () => {
    const { token } = await signIn();
    const parts = [randomBytes(70_000), randomBytes(5)];
    const hash = createHash("sha256");
    for (const p of parts) hash.update(p);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const p of parts) controller.enqueue(new Uint8Array(p));
        controller.close();
      },
    });
    await setup.sdk.pushData({
      type: "library",
      contractDetails,
      userAccessToken: token,
      data: { fileData: stream, fileDescriptor },
    });
    expect((await userFiles(setup.emu, token.user?.id ?? ""))[0]?.sha256).toBe(hash.digest("hex"));

    setup.emu.store.expireTokens({ userId: token.user?.id }, ["access"], Date.now());
    setup.emu.stats.reset();
    const again = Buffer.from("sent again after the refresh");
    const result = await setup.sdk.pushData({
      type: "library",
      contractDetails,
      userAccessToken: token,
      data: { fileData: again, fileDescriptor },
    });
    expect(result.userAccessToken.accessToken.value).not.toBe(token.accessToken.value);
    const stats = setup.emu.stats.snapshot();
    expect(stats).toMatchObject({ refreshes: 1, imports: 1, requests: { import: 2 } });
    expect(
      (await download((await userFiles(setup.emu, token.user?.id ?? ""))[0]?.url ?? "")).equals(again),
    ).toBe(true);
  });
});
