import { SignJWT } from "jose";
import { afterAll, beforeAll } from "vitest";
import type { RunningEmulator } from "../../src/index.ts";
import { Client } from "./client.ts";
import { start } from "./emulator.ts";
import { contractKeys, signRequest, testContract } from "./protocol.ts";

/** The import contract of the tests: same key as the postbox one, `writeApi: "import"`. */
export const importContract = () => testContract({ contractId: "import-contract", writeApi: "import" });
export const IMPORT_CLIENT_ID = "test-app_import-contract";

/** Both test contracts, the postbox one and the import one, for an emulator's `contracts`. */
export const bothContracts = () => [testContract(), importContract()];

export const LIBRARY_DESCRIPTOR = {
  mimeType: "text/plain",
  accounts: [{ accountId: "acc-1" }],
  reference: ["ref-1"],
  tags: ["import"],
};

/** A `FileDescriptor` header made by jose: PS512, payload `{ metadata }` (or `payload` as given). */
export const fileDescriptorJwt = (
  metadata: unknown,
  {
    key = contractKeys.privateKey,
    payload,
  }: { key?: CryptoKey | import("node:crypto").KeyObject; payload?: Record<string, unknown> } = {},
) =>
  new SignJWT(payload ?? { metadata: metadata as Record<string, unknown> })
    .setProtectedHeader({ alg: "PS512", typ: "JWT" })
    .sign(key);

/** A user signed in through an import contract. */
export interface ImportUser {
  userId: string;
  accountReference: string;
  state: string | null;
  accessToken: string;
  refreshToken: string;
  accessExpiry: number;
  consentid: unknown;
}

/** Drives the import API like an app built on the official SDK 16 would, with fetch. */
export class ImportClient extends Client {
  constructor(emulator: RunningEmulator) {
    super(emulator, IMPORT_CLIENT_ID);
  }

  /** authorize (v10: state, redirect_uri = callback) -> consent (auto-approve, no callback) -> token. */
  async signIn(sourceType?: "pull" | "push"): Promise<ImportUser> {
    const { code, verifier } = await this.authorize({ state: "state-import" });
    const query = new URLSearchParams({ code, ...(sourceType && { sourceType }) });
    const res = await fetch(`${this.emulator.onboardUrl}authorize?${query}`, { redirect: "manual" });
    if (res.status !== 302) throw new Error(`consent ${res.status} ${await res.text()}`);
    const back = new URL(res.headers.get("location") ?? "").searchParams;
    const tokens = await this.tokensOf(await this.exchange(back.get("code") ?? "", verifier));
    return {
      userId: tokens.sub,
      accountReference: back.get("accountReference") ?? "",
      state: back.get("state"),
      accessToken: tokens.access_token.value,
      refreshToken: tokens.refresh_token.value,
      accessExpiry: tokens.access_token.expires_on,
      consentid: (tokens as { consentid?: unknown }).consentid,
    };
  }

  /** `POST permission-access/import` with `body` as given (a stream goes chunked). */
  async importRaw(
    accessToken: string,
    body: BodyInit,
    {
      descriptor,
      headers = {},
    }: { descriptor?: string | null; headers?: Record<string, string | null> } = {},
  ) {
    const jwt = await signRequest({ client_id: this.clientId, access_token: accessToken });
    const fileDescriptor =
      descriptor === undefined ? await fileDescriptorJwt(LIBRARY_DESCRIPTOR) : descriptor;
    const all: Record<string, string | null> = {
      authorization: `Bearer ${jwt}`,
      "content-type": "application/octet-stream",
      filedescriptor: fileDescriptor,
      ...headers,
    };
    return fetch(`${this.emulator.baseUrl}permission-access/import`, {
      method: "POST",
      headers: Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== null)),
      body,
      redirect: "error",
      duplex: "half",
    } as RequestInit);
  }

  /** `POST permission-access/import/h:accountId/fhir/{version}`. */
  async pushFhir(accessToken: string, accountId: string | null, body: string, version = "stu3") {
    const jwt = await signRequest({ client_id: this.clientId, access_token: accessToken });
    return fetch(`${this.emulator.baseUrl}permission-access/import/h:accountId/fhir/${version}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${jwt}`,
        "content-type": "application/json",
        ...(accountId !== null && { accountid: accountId }),
      },
      body,
      redirect: "error",
    });
  }

  /** A request of the import API with only a request JWT (`accounts`, `user`). */
  async call(method: "GET" | "DELETE", path: string, accessToken: string) {
    const jwt = await signRequest({ client_id: this.clientId, access_token: accessToken });
    return fetch(`${this.emulator.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${jwt}` } });
  }

  readAccounts(accessToken: string) {
    return this.call("GET", "permission-access/accounts", accessToken);
  }

  deleteUser(accessToken: string) {
    return this.call("DELETE", "user", accessToken);
  }
}

/** A user's library files of one source, from the library JSON API, newest first. */
export const userFiles = async (emulator: RunningEmulator, userId: string) => {
  const res = await fetch(`${emulator.libraryUrl}/api/users/${encodeURIComponent(userId)}/files`);
  return ((await res.json()) as { files: import("../../src/index.ts").LibraryFileJson[] }).files;
};

/** What {@link useImportEmulator} hands a test file. */
export interface ImportSetup {
  emu: RunningEmulator;
  client: ImportClient;
}

/**
 * The setup of an import test file: an auto-approving emulator with {@link bothContracts} and an
 * {@link ImportClient} before all its tests, closed after them. Call at the top level.
 *
 * @param ready - Takes the setup once it is up (assign it to the file's variables; sign in there).
 */
export function useImportEmulator(ready: (setup: ImportSetup) => Promise<void>): void {
  let emu: RunningEmulator | undefined;
  beforeAll(async () => {
    emu = await start({ autoApprove: true, contracts: bothContracts() });
    await ready({ emu, client: new ImportClient(emu) });
  });
  afterAll(() => emu?.close());
}
