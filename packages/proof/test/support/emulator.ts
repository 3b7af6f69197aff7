/**
 * The emulator as the fault runs use it: in process on 127.0.0.1, in file mode (a temporary data
 * folder) so that it can be stopped and started again on the same port with everything kept, and
 * the library read back from its store: the decrypted bytes on disk, hashed here.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningEmulator, type StartEmulatorOptions, startEmulator } from "@digime-edge/emulator";
import type { ContractDetails, DigiMeSDK, UserAccessToken } from "@digime-edge/sdk-core";
import type { RsaPair } from "./keys.ts";

export const APPLICATION_ID = "proof-app";
export const CONTRACT_ID = "proof-contract";
export const REDIRECT_URI = "https://app.example/callback";
export const CALLBACK = "https://app.example/failed";

export const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

export function contractDetailsOf(keys: RsaPair): ContractDetails {
  return { contractId: CONTRACT_ID, privateKey: keys.privatePem, redirectUri: REDIRECT_URI };
}

/** One stored copy of a file: what the library holds, hashed from the bytes on disk. */
export interface StoredCopy {
  fileName: string;
  size: number;
  sha256: string;
  metadata: unknown;
}

/** An emulator that can be restarted on the same port and data folder. */
export class EmulatorHarness {
  emu!: RunningEmulator;
  /** Errors the emulator reported (returned as 500); a restart under load makes some. */
  readonly reported: unknown[] = [];
  readonly dataDir: string | undefined;
  #options: StartEmulatorOptions;
  #port = 0;

  private constructor(options: StartEmulatorOptions, dataDir: string | undefined) {
    this.#options = options;
    this.dataDir = dataDir;
  }

  /** Starts an emulator in file mode (or `memory`), with the proof contract, auto-approving consent. */
  static async start(keys: RsaPair, options: { memory?: boolean } & StartEmulatorOptions = {}) {
    const dataDir = options.memory ? undefined : mkdtempSync(join(tmpdir(), "digime-proof-"));
    const harness = new EmulatorHarness(
      {
        ...(dataDir ? { dataDir } : { memory: true }),
        autoApprove: true,
        contracts: [
          {
            applicationId: APPLICATION_ID,
            contractId: CONTRACT_ID,
            name: "Proof",
            publicKey: keys.publicPem,
            redirectUri: REDIRECT_URI,
          },
        ],
        ...options,
        host: "127.0.0.1",
      },
      dataDir,
    );
    await harness.#listen();
    return harness;
  }

  async #listen() {
    this.emu = await startEmulator({
      ...this.#options,
      port: this.#port,
      onError: (error) => this.reported.push(error),
    });
    this.#port = this.emu.port;
  }

  get port() {
    return this.#port;
  }

  /** Stops the emulator (open connections are cut) and starts it again: same port, same data. */
  async restart(): Promise<void> {
    if (!this.dataDir) throw new Error("restart needs file mode");
    await this.emu.close();
    await this.#listen();
  }

  /** The copies of `fileName` in the postbox's library, each hashed from its bytes on disk. */
  copies(postboxId: string, fileName: string): StoredCopy[] {
    const { store } = this.emu;
    return store
      .listFiles({ postboxId })
      .filter((f) => f.fileName === fileName)
      .map((f) => ({
        fileName: f.fileName,
        size: f.size,
        sha256: sha256(readFileSync(store.absolutePath(f))),
        metadata: f.metadata,
      }));
  }

  async close(): Promise<void> {
    await this.emu.close();
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** A user of the proof contract: their postbox and the first token pair. */
export interface Onboarded {
  postboxId: string;
  publicKey: string;
  token: UserAccessToken;
}

/** getAuthorizeUrl -> the consent page (auto-approved) -> exchangeCodeForToken, all with sdk-core. */
export async function onboard(sdk: DigiMeSDK, contractDetails: ContractDetails): Promise<Onboarded> {
  const { url, codeVerifier } = await sdk.getAuthorizeUrl({
    contractDetails,
    callback: CALLBACK,
    state: "s",
  });
  const consent = await fetch(url, { redirect: "manual" });
  if (consent.status !== 302) throw new Error(`consent answered ${consent.status}`);
  const query = new URL(consent.headers.get("location") ?? "").searchParams;
  const token = await sdk.exchangeCodeForToken({
    contractDetails,
    authorizationCode: query.get("code") ?? "",
    codeVerifier,
  });
  return { postboxId: query.get("postboxId") ?? "", publicKey: query.get("publicKey") ?? "", token };
}
