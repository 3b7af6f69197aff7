import type { WriteApi } from "./contracts.ts";
import { num, type Row, type Sql, str } from "./sql.ts";

/** A registered contract: who may call the API and where users are sent back to. */
export interface Contract {
  /** `${applicationId}_${contractId}`, the `client_id` of request JWTs. */
  clientId: string;
  applicationId: string;
  contractId: string;
  /** Shown on the consent page. */
  name: string;
  /** The contract's RSA public key (PEM, PKCS#1 or SPKI): request JWTs verify with it. */
  publicKey: string;
  /** The only `redirect_uri` accepted, and where consent sends the user. */
  redirectUri: string;
  /** A write contract may write to postboxes; a read-only one gets `InsufficientScope`. */
  write: boolean;
  /** Where it writes: `postbox` (the official SDK up to v8) or `import` (`pushData`, v9 on). */
  writeApi: WriteApi;
  createdAt: number;
}

/** The `client_id` of a contract: `${applicationId}_${contractId}`. */
export const clientIdOf = (contract: Pick<Contract, "applicationId" | "contractId">): string =>
  `${contract.applicationId}_${contract.contractId}`;

const toContract = (r: Row): Contract => ({
  writeApi: str(r.write_api) === "import" ? "import" : "postbox",
  clientId: str(r.client_id),
  applicationId: str(r.application_id),
  contractId: str(r.contract_id),
  name: str(r.name),
  publicKey: str(r.public_key),
  redirectUri: str(r.redirect_uri),
  write: num(r.write) === 1,
  createdAt: num(r.created_at),
});

/** The `contracts` table. */
export class ContractStore {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** Adds a contract, or replaces the one with the same `clientId`. */
  upsert(contract: Omit<Contract, "clientId" | "createdAt"> & { createdAt?: number }): Contract {
    const clientId = clientIdOf(contract);
    this.#sql.run(
      `INSERT INTO contracts (client_id, application_id, contract_id, name, public_key, redirect_uri, write, write_api, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (client_id) DO UPDATE SET name = excluded.name, public_key = excluded.public_key,
         redirect_uri = excluded.redirect_uri, write = excluded.write, write_api = excluded.write_api`,
      clientId,
      contract.applicationId,
      contract.contractId,
      contract.name,
      contract.publicKey,
      contract.redirectUri,
      contract.write ? 1 : 0,
      contract.writeApi,
      contract.createdAt ?? Date.now(),
    );
    return this.get(clientId) as Contract;
  }

  /** The contract whose `client_id` this is. */
  get(clientId: string): Contract | undefined {
    const row = this.#sql.get("SELECT * FROM contracts WHERE client_id = ?", clientId);
    return row && toContract(row);
  }

  /** All contracts, oldest first. */
  list(): Contract[] {
    return this.#sql.all("SELECT * FROM contracts ORDER BY created_at, client_id").map(toContract);
  }
}
