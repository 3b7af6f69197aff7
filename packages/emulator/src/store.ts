import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import type { WriteApi } from "./contracts.js";
import { type FileSource, type LibraryFile, toFile } from "./library-file.js";
import { migrate } from "./schema-migrations.js";

export type { FileSource, LibraryFile } from "./library-file.js";

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

/** A person with a library. */
export interface User {
  id: string;
  createdAt: number;
}

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

/** A started authorization (`oauth/authorize`) waiting for the person's consent. */
export interface Preauthorization {
  code: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  state: string | null;
  /** Set when the app sent an existing user's access token: consent links that library. */
  userId: string | null;
  sessionKey: string;
  expiresAt: number;
  usedAt: number | null;
  createdAt: number;
}

/** A one-time authorization code handed to the app's `redirectUri`. */
export interface AuthorizationCode {
  code: string;
  clientId: string;
  userId: string;
  postboxId: string;
  codeChallenge: string;
  expiresAt: number;
  usedAt: number | null;
  createdAt: number;
}

/** An access or refresh token. Tokens of one exchange or refresh share a `pairId`. */
export interface TokenRecord {
  value: string;
  kind: "access" | "refresh";
  pairId: string;
  clientId: string;
  userId: string;
  expiresAt: number;
  /** For a refresh token: when it was exchanged (rotation makes it single-use). */
  usedAt: number | null;
  revokedAt: number | null;
  createdAt: number;
}

/** Which tokens an admin operation applies to; no field means all tokens. */
export interface TokenFilter {
  userId?: string;
  postboxId?: string;
  clientId?: string;
  value?: string;
}

/** Options of {@link Store.open}. */
export interface StoreOptions {
  /** Folder for `emulator.sqlite`, `library/` and `tmp/`. Ignored when `memory` is true. */
  dataDir?: string;
  /** Keep the database in memory and files in a temporary folder removed by `close()`. */
  memory?: boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contracts (
  client_id TEXT PRIMARY KEY, application_id TEXT NOT NULL, contract_id TEXT NOT NULL, name TEXT NOT NULL,
  public_key TEXT NOT NULL, redirect_uri TEXT NOT NULL, write INTEGER NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS postboxes (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL, client_id TEXT NOT NULL, public_key TEXT NOT NULL,
  private_key TEXT NOT NULL, created_at INTEGER NOT NULL, UNIQUE (user_id, client_id));
CREATE TABLE IF NOT EXISTS preauthorizations (
  code TEXT PRIMARY KEY, client_id TEXT NOT NULL, redirect_uri TEXT NOT NULL, code_challenge TEXT NOT NULL,
  state TEXT, user_id TEXT, session_key TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER,
  created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS authorization_codes (
  code TEXT PRIMARY KEY, client_id TEXT NOT NULL, user_id TEXT NOT NULL, postbox_id TEXT NOT NULL,
  code_challenge TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
  value TEXT PRIMARY KEY, kind TEXT NOT NULL, pair_id TEXT NOT NULL, client_id TEXT NOT NULL,
  user_id TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER, revoked_at INTEGER,
  created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tokens_user ON tokens (user_id);
CREATE TABLE IF NOT EXISTS nonces (
  client_id TEXT NOT NULL, nonce TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (client_id, nonce));
CREATE INDEX IF NOT EXISTS nonces_expiry ON nonces (expires_at);
CREATE TABLE IF NOT EXISTS files (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL, postbox_id TEXT NOT NULL, client_id TEXT NOT NULL,
  file_name TEXT NOT NULL, mime_type TEXT NOT NULL, metadata TEXT NOT NULL, size INTEGER NOT NULL,
  sha256 TEXT NOT NULL, path TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS files_user ON files (user_id, created_at);
CREATE INDEX IF NOT EXISTS files_postbox ON files (postbox_id, created_at);
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
`;

type Row = Record<string, SQLInputValue>;

const str = (v: unknown): string => String(v);
const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** A random identifier: `prefix` + 16 random bytes in base64url. */
export const newId = (prefix: string, bytes = 16): string =>
  `${prefix}${randomBytes(bytes).toString("base64url")}`;

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
const toPostbox = (r: Row): Postbox => ({
  id: str(r.id),
  userId: str(r.user_id),
  clientId: str(r.client_id),
  publicKey: str(r.public_key),
  privateKey: str(r.private_key),
  createdAt: num(r.created_at),
});
const toPreauthorization = (r: Row): Preauthorization => ({
  code: str(r.code),
  clientId: str(r.client_id),
  redirectUri: str(r.redirect_uri),
  codeChallenge: str(r.code_challenge),
  state: strOrNull(r.state),
  userId: strOrNull(r.user_id),
  sessionKey: str(r.session_key),
  expiresAt: num(r.expires_at),
  usedAt: numOrNull(r.used_at),
  createdAt: num(r.created_at),
});
const toAuthorizationCode = (r: Row): AuthorizationCode => ({
  code: str(r.code),
  clientId: str(r.client_id),
  userId: str(r.user_id),
  postboxId: str(r.postbox_id),
  codeChallenge: str(r.code_challenge),
  expiresAt: num(r.expires_at),
  usedAt: numOrNull(r.used_at),
  createdAt: num(r.created_at),
});
const toToken = (r: Row): TokenRecord => ({
  value: str(r.value),
  kind: str(r.kind) === "refresh" ? "refresh" : "access",
  pairId: str(r.pair_id),
  clientId: str(r.client_id),
  userId: str(r.user_id),
  expiresAt: num(r.expires_at),
  usedAt: numOrNull(r.used_at),
  revokedAt: numOrNull(r.revoked_at),
  createdAt: num(r.created_at),
});
/**
 * The emulator's state: SQLite (Node's built-in `node:sqlite`) for records, plain files for the
 * decrypted library. In file mode everything lives in `dataDir` and survives a restart; in memory
 * mode the database is `:memory:` and files go to a temporary folder that `close()` removes.
 */
export class Store {
  /** The SQLite database. */
  readonly db: DatabaseSync;
  /** Folder of the decrypted library files (`<filesDir>/<userId>/<fileId>`). */
  readonly filesDir: string;
  /** Folder for uploads in progress; on the same file system as `filesDir`, so a rename moves them. */
  readonly tmpDir: string;
  /** The data folder, or undefined in memory mode. */
  readonly dataDir: string | undefined;
  readonly #ownedDir: string | undefined;
  readonly #statements = new Map<string, StatementSync>();
  #nonceInserts = 0;

  private constructor(db: DatabaseSync, root: string, dataDir: string | undefined, ownedDir?: string) {
    this.db = db;
    this.dataDir = dataDir;
    this.filesDir = join(root, "library");
    this.tmpDir = join(root, "tmp");
    this.#ownedDir = ownedDir;
    mkdirSync(this.filesDir, { recursive: true });
    // Leftovers of uploads cut short by a crash are never part of the library.
    rmSync(this.tmpDir, { recursive: true, force: true });
    mkdirSync(this.tmpDir, { recursive: true });
    db.exec(SCHEMA);
    migrate(db);
  }

  /** Opens (and creates when missing) a store; see {@link StoreOptions}. */
  static open(options: StoreOptions = {}): Store {
    if (options.memory || !options.dataDir) {
      const dir = mkdtempSync(join(tmpdir(), "digime-emulator-"));
      return new Store(new DatabaseSync(":memory:"), dir, undefined, dir);
    }
    mkdirSync(options.dataDir, { recursive: true });
    const db = new DatabaseSync(join(options.dataDir, "emulator.sqlite"));
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
    return new Store(db, options.dataDir, options.dataDir);
  }

  /** Closes the database; in memory mode also removes the temporary folder. */
  close(): void {
    if (this.db.isOpen) this.db.close();
    if (this.#ownedDir) rmSync(this.#ownedDir, { recursive: true, force: true });
  }

  #stmt(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.#stmt(sql).get(...params) as Row | undefined;
  }

  #all(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.#stmt(sql).all(...params) as Row[];
  }

  #run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.#stmt(sql).run(...params).changes);
  }

  /** Runs `fn` in one SQLite transaction. */
  transaction<T>(fn: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
  }

  // --- contracts -------------------------------------------------------------------------------

  /** Adds a contract, or replaces the one with the same `clientId`. */
  upsertContract(contract: Omit<Contract, "clientId" | "createdAt"> & { createdAt?: number }): Contract {
    const clientId = clientIdOf(contract);
    this.#run(
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
    return this.getContract(clientId) as Contract;
  }

  /** The contract whose `client_id` this is. */
  getContract(clientId: string): Contract | undefined {
    const row = this.#get("SELECT * FROM contracts WHERE client_id = ?", clientId);
    return row && toContract(row);
  }

  /** All contracts, oldest first. */
  listContracts(): Contract[] {
    return this.#all("SELECT * FROM contracts ORDER BY created_at, client_id").map(toContract);
  }

  // --- users and postboxes ---------------------------------------------------------------------

  /** Creates a user with a fresh id. */
  createUser(now: number): User {
    const user = { id: newId("user_", 12), createdAt: now };
    this.#run("INSERT INTO users (id, created_at) VALUES (?, ?)", user.id, user.createdAt);
    return user;
  }

  /** The user with this id. */
  getUser(id: string): User | undefined {
    const row = this.#get("SELECT * FROM users WHERE id = ?", id);
    return row && { id: str(row.id), createdAt: num(row.created_at) };
  }

  /** All users, oldest first. */
  listUsers(): User[] {
    return this.#all("SELECT * FROM users ORDER BY created_at, id").map((r) => ({
      id: str(r.id),
      createdAt: num(r.created_at),
    }));
  }

  /** Stores a postbox (its id and key pair made by the caller). */
  createPostbox(postbox: Postbox): Postbox {
    this.#run(
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
  getPostbox(id: string): Postbox | undefined {
    const row = this.#get("SELECT * FROM postboxes WHERE id = ?", id);
    return row && toPostbox(row);
  }

  /** The postbox of this user for this contract. */
  findPostbox(userId: string, clientId: string): Postbox | undefined {
    const row = this.#get("SELECT * FROM postboxes WHERE user_id = ? AND client_id = ?", userId, clientId);
    return row && toPostbox(row);
  }

  /** Postboxes, of one user or of all, oldest first. */
  listPostboxes(userId?: string): Postbox[] {
    const rows = userId
      ? this.#all("SELECT * FROM postboxes WHERE user_id = ? ORDER BY created_at, id", userId)
      : this.#all("SELECT * FROM postboxes ORDER BY created_at, id");
    return rows.map(toPostbox);
  }

  // --- authorization ---------------------------------------------------------------------------

  /** Stores a started authorization. */
  createPreauthorization(p: Omit<Preauthorization, "usedAt">): Preauthorization {
    this.#run(
      `INSERT INTO preauthorizations (code, client_id, redirect_uri, code_challenge, state, user_id, session_key, expires_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      p.code,
      p.clientId,
      p.redirectUri,
      p.codeChallenge,
      p.state,
      p.userId,
      p.sessionKey,
      p.expiresAt,
      p.createdAt,
    );
    return { ...p, usedAt: null };
  }

  /** The started authorization with this code, used or not. */
  getPreauthorization(code: string): Preauthorization | undefined {
    const row = this.#get("SELECT * FROM preauthorizations WHERE code = ?", code);
    return row && toPreauthorization(row);
  }

  /** Marks a started authorization as decided; false when it already was. */
  usePreauthorization(code: string, now: number): boolean {
    return (
      this.#run("UPDATE preauthorizations SET used_at = ? WHERE code = ? AND used_at IS NULL", now, code) ===
      1
    );
  }

  /** Stores an authorization code. */
  createAuthorizationCode(a: Omit<AuthorizationCode, "usedAt">): AuthorizationCode {
    this.#run(
      `INSERT INTO authorization_codes (code, client_id, user_id, postbox_id, code_challenge, expires_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      a.code,
      a.clientId,
      a.userId,
      a.postboxId,
      a.codeChallenge,
      a.expiresAt,
      a.createdAt,
    );
    return { ...a, usedAt: null };
  }

  /** The authorization code, used or not. */
  getAuthorizationCode(code: string): AuthorizationCode | undefined {
    const row = this.#get("SELECT * FROM authorization_codes WHERE code = ?", code);
    return row && toAuthorizationCode(row);
  }

  /** Marks an authorization code as redeemed; false when it already was (one-time codes). */
  useAuthorizationCode(code: string, now: number): boolean {
    return (
      this.#run(
        "UPDATE authorization_codes SET used_at = ? WHERE code = ? AND used_at IS NULL",
        now,
        code,
      ) === 1
    );
  }

  // --- tokens ----------------------------------------------------------------------------------

  /** Issues a new access and refresh token for a user of a contract. */
  issueTokens(options: {
    clientId: string;
    userId: string;
    now: number;
    accessTtlMs: number;
    refreshTtlMs: number;
    /** The token values (default: random). */
    values?: { access: string; refresh: string };
  }): { access: TokenRecord; refresh: TokenRecord } {
    const { clientId, userId, now, values } = options;
    const pairId = newId("pair_", 12);
    const make = (kind: TokenRecord["kind"], ttl: number): TokenRecord => ({
      value: values?.[kind] ?? newId(kind === "access" ? "at_" : "rt_", 32),
      kind,
      pairId,
      clientId,
      userId,
      expiresAt: now + ttl,
      usedAt: null,
      revokedAt: null,
      createdAt: now,
    });
    const access = make("access", options.accessTtlMs);
    const refresh = make("refresh", options.refreshTtlMs);
    for (const t of [access, refresh]) {
      this.#run(
        `INSERT INTO tokens (value, kind, pair_id, client_id, user_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        t.value,
        t.kind,
        t.pairId,
        t.clientId,
        t.userId,
        t.expiresAt,
        t.createdAt,
      );
    }
    return { access, refresh };
  }

  /** The token with this value, whatever its state. */
  getToken(value: string): TokenRecord | undefined {
    const row = this.#get("SELECT * FROM tokens WHERE value = ?", value);
    return row && toToken(row);
  }

  /**
   * Rotates a refresh token (the record just read with {@link getToken}): marks it used and
   * revokes the access token of its pair, so that only the pair issued next is valid. False when
   * it is not a refresh token or was already used (a reuse).
   */
  useRefreshToken(token: TokenRecord, now: number): boolean {
    if (token.kind !== "refresh") return false;
    if (
      this.#run("UPDATE tokens SET used_at = ? WHERE value = ? AND used_at IS NULL", now, token.value) !== 1
    ) {
      return false;
    }
    this.#run(
      "UPDATE tokens SET revoked_at = ? WHERE pair_id = ? AND kind = 'access' AND revoked_at IS NULL",
      now,
      token.pairId,
    );
    return true;
  }

  #tokenWhere(filter: TokenFilter): { sql: string; params: SQLInputValue[] } {
    const clauses: string[] = [];
    const params: SQLInputValue[] = [];
    if (filter.userId) {
      clauses.push("user_id = ?");
      params.push(filter.userId);
    }
    if (filter.clientId) {
      clauses.push("client_id = ?");
      params.push(filter.clientId);
    }
    if (filter.value) {
      clauses.push("value = ?");
      params.push(filter.value);
    }
    if (filter.postboxId) {
      clauses.push("(user_id, client_id) IN (SELECT user_id, client_id FROM postboxes WHERE id = ?)");
      params.push(filter.postboxId);
    }
    return { sql: clauses.length ? ` AND ${clauses.join(" AND ")}` : "", params };
  }

  /** Makes matching, not yet expired tokens expire now; returns how many changed. */
  expireTokens(filter: TokenFilter, kinds: TokenRecord["kind"][], now: number): number {
    const { sql, params } = this.#tokenWhere(filter);
    let changed = 0;
    for (const kind of kinds) {
      changed += this.#run(
        `UPDATE tokens SET expires_at = ? WHERE kind = ? AND expires_at > ?${sql}`,
        now - 1,
        kind,
        now - 1,
        ...params,
      );
    }
    return changed;
  }

  /** Revokes matching tokens (they then answer `InvalidToken`); returns how many changed. */
  revokeTokens(filter: TokenFilter, now: number): number {
    const { sql, params } = this.#tokenWhere(filter);
    return this.#run(`UPDATE tokens SET revoked_at = ? WHERE revoked_at IS NULL${sql}`, now, ...params);
  }

  // --- nonces ----------------------------------------------------------------------------------

  /**
   * Records a request nonce until `expiresAt`; false when this contract already used it and it has
   * not expired (a replay).
   */
  recordNonce(clientId: string, nonce: string, expiresAt: number, now: number): boolean {
    if (++this.#nonceInserts % 128 === 0) this.#run("DELETE FROM nonces WHERE expires_at < ?", now);
    const existing = this.#get(
      "SELECT expires_at FROM nonces WHERE client_id = ? AND nonce = ?",
      clientId,
      nonce,
    );
    if (existing && num(existing.expires_at) >= now) return false;
    this.#run(
      "INSERT INTO nonces (client_id, nonce, expires_at) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET expires_at = excluded.expires_at",
      clientId,
      nonce,
      expiresAt,
    );
    return true;
  }

  // --- library ---------------------------------------------------------------------------------

  /** Records a file whose decrypted bytes are already at `file.path` (relative to `filesDir`). */
  insertFile(file: LibraryFile): LibraryFile {
    this.#run(
      `INSERT INTO files (id, user_id, postbox_id, client_id, source, account_id, file_name, mime_type, metadata, size, sha256, path, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      file.id,
      file.userId,
      file.postboxId ?? "",
      file.clientId,
      file.source,
      file.accountId,
      file.fileName,
      file.mimeType,
      JSON.stringify(file.metadata),
      file.size,
      file.sha256,
      file.path,
      file.createdAt,
    );
    return file;
  }

  /** One file by id. */
  getFile(id: string): LibraryFile | undefined {
    const row = this.#get("SELECT * FROM files WHERE id = ?", id);
    return row && toFile(row);
  }

  /** Files, newest first, of one user and/or one postbox and/or one source, or all. */
  listFiles(
    filter: { userId?: string; postboxId?: string; source?: FileSource; limit?: number } = {},
  ): LibraryFile[] {
    const clauses: string[] = [];
    const params: SQLInputValue[] = [];
    if (filter.source) {
      clauses.push("source = ?");
      params.push(filter.source);
    }
    if (filter.userId) {
      clauses.push("user_id = ?");
      params.push(filter.userId);
    }
    if (filter.postboxId) {
      clauses.push("postbox_id = ?");
      params.push(filter.postboxId);
    }
    const where = clauses.length ? `WHERE ${clauses.join(" AND ")}` : "";
    params.push(filter.limit ?? -1);
    return this.#all(
      `SELECT * FROM files ${where} ORDER BY created_at DESC, rowid DESC LIMIT ?`,
      ...params,
    ).map(toFile);
  }

  /** Where the decrypted bytes of `file` are on disk. */
  absolutePath(file: LibraryFile): string {
    return join(this.filesDir, file.path);
  }

  /** Number of stored files, of one user or of all. */
  countFiles(filter: { userId?: string } = {}): number {
    const row = filter.userId
      ? this.#get("SELECT count(*) AS n FROM files WHERE user_id = ?", filter.userId)
      : this.#get("SELECT count(*) AS n FROM files");
    return num(row?.n ?? 0);
  }

  /** Names left in the upload folder; tests use it to check a refused upload left nothing. */
  pendingUploads(): string[] {
    return readdirSync(this.tmpDir);
  }
}
