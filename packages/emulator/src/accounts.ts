import type { DatabaseSync } from "node:sqlite";

/**
 * The emulated services a user's accounts come from: `import` is where an import contract's
 * files land (an `IMPORTED` account, made at every consent of such a contract); `health` is a fake
 * health provider whose `PUSH` account a sign-in with `sourceType=push` adds, the target of FHIR
 * pushes. Its service ids are those of the recorded official SDK 16 exchange.
 */
export const PROVIDERS = {
  import: {
    type: "IMPORTED",
    serviceGroupId: 1,
    serviceGroupName: "Imported",
    serviceTypeId: 1,
    serviceTypeName: "Import",
    serviceTypeReference: "import",
    sourceId: 1,
    serviceProviderId: 1,
    serviceProviderName: "digi.me emulator",
    serviceProviderReference: "emulator-import",
  },
  health: {
    type: "PUSH",
    serviceGroupId: 4,
    serviceGroupName: "Health",
    serviceTypeId: 9,
    serviceTypeName: "Hospital",
    serviceTypeReference: "hospital",
    sourceId: 7,
    serviceProviderId: 70,
    serviceProviderName: "Emulated Health Provider",
    serviceProviderReference: "emulated-health",
  },
} as const;

/** One of the keys of {@link PROVIDERS}. */
export type ProviderName = keyof typeof PROVIDERS;

/** A user's account at one provider, through one contract. */
export interface Account {
  id: string;
  /** What consent hands the app as `accountReference`. */
  reference: string;
  userId: string;
  clientId: string;
  provider: ProviderName;
  createdAt: number;
  updatedAt: number;
}

/** An account as `GET permission-access/accounts` lists it (every member the spec names). */
export type AccountJson = {
  id: string;
  reference: string;
  createdDate: number;
  updatedDate: number;
  accessTokenStatus: { authorized: boolean };
  username: string;
  sample: boolean;
} & (typeof PROVIDERS)[ProviderName];

type Row = Record<string, unknown>;
const toAccount = (r: Row): Account => ({
  id: String(r.id),
  reference: String(r.reference),
  userId: String(r.user_id),
  clientId: String(r.client_id),
  provider: r.provider === "health" ? "health" : "import",
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/** The account as the API returns it. */
export const accountJson = (a: Account): AccountJson => ({
  id: a.id,
  reference: a.reference,
  ...PROVIDERS[a.provider],
  createdDate: a.createdAt,
  updatedDate: a.updatedAt,
  accessTokenStatus: { authorized: true },
  username: a.userId,
  sample: false,
});

/** The `accounts` table (added by schema version 2). */
export class AccountStore {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /**
   * The user's account at `provider` through this contract, made (with `id` and `reference`)
   * when there is none yet; an existing one is touched (`updatedAt`).
   */
  ensure(a: Omit<Account, "createdAt" | "updatedAt">, now: number): Account {
    this.#db
      .prepare(
        `INSERT INTO accounts (id, reference, user_id, client_id, type, provider, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (user_id, client_id, provider) DO UPDATE SET updated_at = excluded.updated_at`,
      )
      .run(a.id, a.reference, a.userId, a.clientId, PROVIDERS[a.provider].type, a.provider, now, now);
    const row = this.#db
      .prepare("SELECT * FROM accounts WHERE user_id = ? AND client_id = ? AND provider = ?")
      .get(a.userId, a.clientId, a.provider) as Row;
    return toAccount(row);
  }

  /** The accounts of a user (through one contract, when given), oldest first. */
  list(userId: string, clientId?: string): Account[] {
    const rows = clientId
      ? this.#db
          .prepare("SELECT * FROM accounts WHERE user_id = ? AND client_id = ? ORDER BY created_at, id")
          .all(userId, clientId)
      : this.#db.prepare("SELECT * FROM accounts WHERE user_id = ? ORDER BY created_at, id").all(userId);
    return (rows as Row[]).map(toAccount);
  }
}
