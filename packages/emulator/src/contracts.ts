import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import { clientIdOf } from "./contract-store.ts";

/** The write APIs a contract can use. */
export const WRITE_APIS = ["postbox", "import"] as const;
/** One of {@link WRITE_APIS}. */
export type WriteApi = (typeof WRITE_APIS)[number];

const ID = z.string().min(1).max(200);

/**
 * Schema of a {@link ContractInput}: the public key must parse as RSA, the redirect URI as a URL.
 */
export const contractInputSchema = z.object({
  applicationId: ID,
  contractId: ID,
  /** The contract's RSA public key in PEM (PKCS#1 `BEGIN RSA PUBLIC KEY` or SPKI `BEGIN PUBLIC KEY`). */
  publicKey: z.string().refine((pem) => {
    try {
      return createPublicKey(pem).asymmetricKeyType === "rsa";
    } catch {
      return false;
    }
  }, "publicKey must be an RSA public key in PEM"),
  /** The only redirect URI accepted for this contract. */
  redirectUri: z.url(),
  /** Shown on the consent page; defaults to the application id. */
  name: z.string().min(1).max(200).optional(),
  /** Whether the contract may write (default true). */
  write: z.boolean().optional(),
  /**
   * Which write API the contract uses (default `postbox`): `postbox` (the official SDK up to v8:
   * consent returns `postboxId` and `publicKey`) or `import` (v9 on, `pushData`: consent returns
   * `accountReference`, files arrive at `permission-access/import`).
   */
  writeApi: z.enum(WRITE_APIS).optional(),
});

/**
 * A contract to register (by config file, `startEmulator({ contracts })` or `POST /admin/contracts`),
 * derived from {@link contractInputSchema}.
 */
export type ContractInput = z.input<typeof contractInputSchema>;

const withName = <C extends { applicationId: string; name?: string | undefined }>(contract: C) => ({
  ...contract,
  name: contract.name ?? contract.applicationId,
});

/**
 * A valid {@link ContractInput} with its defaults filled in (`name`: the application id, `write`:
 * true, `writeApi`: `postbox`), ready to store.
 */
export const contractRecord = (valid: ContractInput) => ({
  ...withName(valid),
  write: valid.write ?? true,
  writeApi: valid.writeApi ?? "postbox",
});

const fileEntrySchema = contractInputSchema
  .omit({ publicKey: true })
  .extend({ publicKey: z.string().optional(), publicKeyPath: z.string().optional() });

/**
 * Reads contracts from a JSON file: an array of contracts, or `{ "contracts": [...] }`. Each has
 * `publicKey` (PEM) or `publicKeyPath` (relative to the file).
 * @throws when the file is not valid.
 */
export function loadContractsFile(path: string): ContractInput[] {
  const json: unknown = JSON.parse(readFileSync(path, "utf8"));
  const list = Array.isArray(json) ? json : (json as { contracts?: unknown })?.contracts;
  const entries = z.array(fileEntrySchema).parse(list);
  return entries.map(({ publicKeyPath, publicKey, ...rest }) => {
    const pem = publicKey ?? (publicKeyPath && readFileSync(resolve(dirname(path), publicKeyPath), "utf8"));
    return contractInputSchema.parse({ ...rest, publicKey: pem });
  });
}

/** Options of {@link createDevContract}. */
export interface DevContractOptions {
  /** Default `http://127.0.0.1:8787/auth/callback` (the edge worker under `wrangler dev`); kept once set. */
  redirectUri?: string;
  applicationId?: string;
  contractId?: string;
  name?: string;
  /** The write API of the dev contract (default `postbox`); an explicit one replaces the stored one. */
  writeApi?: WriteApi;
}

/** What {@link createDevContract} made or found. */
export interface DevContract {
  /** Register this with the emulator. */
  contract: ContractInput & { name: string };
  /** `client_id` of the contract. */
  clientId: string;
  /** The contract's private key (PKCS#1 PEM): give it to the app or SDK. */
  privateKey: string;
  privateKeyPath: string;
  contractPath: string;
  /** True when this call generated it. */
  created: boolean;
}

/** File name of the dev contract's description in the data folder. */
export const DEV_CONTRACT_FILE = "dev-contract.json";
/** File name of the dev contract's private key in the data folder (mode 0600). */
export const DEV_CONTRACT_KEY_FILE = "dev-contract.key.pem";

/**
 * Creates a dev contract with a fresh RSA key pair on first run, and finds it again afterwards.
 * Its description is `dev-contract.json` and its private key `dev-contract.key.pem` (mode 0600),
 * both in `dataDir`, which git ignores (`.data/`). An explicit `redirectUri` or `writeApi` that
 * differs from the stored one replaces it (the key and ids stay).
 */
export function createDevContract(dataDir: string, options: DevContractOptions = {}): DevContract {
  const contractPath = join(dataDir, DEV_CONTRACT_FILE);
  const privateKeyPath = join(dataDir, DEV_CONTRACT_KEY_FILE);
  mkdirSync(dataDir, { recursive: true });
  let contract: DevContract["contract"];
  let privateKey: string;
  const found = existsSync(contractPath) && existsSync(privateKeyPath);
  if (found) {
    // Only the name is defaulted here: the stored description keeps `write` as written.
    contract = withName(contractInputSchema.parse(JSON.parse(readFileSync(contractPath, "utf8"))));
    const redirectUri = options.redirectUri ?? contract.redirectUri;
    const writeApi = options.writeApi ?? contract.writeApi;
    if (redirectUri !== contract.redirectUri || writeApi !== contract.writeApi) {
      contract = { ...contract, redirectUri, ...(writeApi && { writeApi }) };
      writeFileSync(contractPath, `${JSON.stringify(contract, null, 2)}\n`);
    }
    privateKey = readFileSync(privateKeyPath, "utf8");
  } else {
    const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
    contract = {
      applicationId: options.applicationId ?? "dev-app",
      contractId: options.contractId ?? "dev-write-contract",
      name: options.name ?? "digime-edge dev app",
      publicKey: pair.publicKey.export({ type: "pkcs1", format: "pem" }).toString(),
      redirectUri: options.redirectUri ?? "http://127.0.0.1:8787/auth/callback",
      write: true,
      writeApi: options.writeApi ?? "postbox",
    };
    privateKey = pair.privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    writeFileSync(privateKeyPath, privateKey, { mode: 0o600 });
    writeFileSync(contractPath, `${JSON.stringify(contract, null, 2)}\n`);
  }
  return {
    contract,
    clientId: clientIdOf(contract),
    privateKey,
    privateKeyPath,
    contractPath,
    created: !found,
  };
}
