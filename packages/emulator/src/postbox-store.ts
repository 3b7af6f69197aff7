import { num, type Row, type Sql, str } from "./sql.ts";

/** Where one contract writes into one user's library, with its RSA key pair. */
export interface Postbox {
  id: string;
  userId: string;
  clientId: string;
  /** PKCS#1 PEM, handed to the app on consent. */
  publicKey: string;
  /** PKCS#8 PEM, never leaves the emulator. */
  privateKey: string;
  createdAt: number;
}

const toPostbox = (r: Row): Postbox => ({
  id: str(r.id),
  userId: str(r.user_id),
  clientId: str(r.client_id),
  publicKey: str(r.public_key),
  privateKey: str(r.private_key),
  createdAt: num(r.created_at),
});

/** The `postboxes` table. */
export class PostboxStore {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** Stores a postbox (its id and key pair made by the caller). */
  create(postbox: Postbox): Postbox {
    this.#sql.run(
      "INSERT INTO postboxes (id, user_id, client_id, public_key, private_key, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      postbox.id,
      postbox.userId,
      postbox.clientId,
      postbox.publicKey,
      postbox.privateKey,
      postbox.createdAt,
    );
    return postbox;
  }

  /** The postbox with this id. */
  get(id: string): Postbox | undefined {
    const row = this.#sql.get("SELECT * FROM postboxes WHERE id = ?", id);
    return row && toPostbox(row);
  }

  /** The postbox of this user for this contract. */
  find(userId: string, clientId: string): Postbox | undefined {
    const row = this.#sql.get(
      "SELECT * FROM postboxes WHERE user_id = ? AND client_id = ?",
      userId,
      clientId,
    );
    return row && toPostbox(row);
  }

  /** Postboxes, of one user or of all, oldest first. */
  list(userId?: string): Postbox[] {
    const rows = userId
      ? this.#sql.all("SELECT * FROM postboxes WHERE user_id = ? ORDER BY created_at, id", userId)
      : this.#sql.all("SELECT * FROM postboxes ORDER BY created_at, id");
    return rows.map(toPostbox);
  }
}
