import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { type AuthorizationCode, AuthorizationCodeStore } from "./authorization-code-store.ts";
import { type Contract, ContractStore } from "./contract-store.ts";
import { type FileFilter, FileStore } from "./file-store.ts";
import type { LibraryFile } from "./library-file.ts";
import { NonceStore } from "./nonce-store.ts";
import { type Postbox, PostboxStore } from "./postbox-store.ts";
import { type Preauthorization, PreauthorizationStore } from "./preauthorization-store.ts";
import { migrate } from "./schema-migrations.ts";
import { Sql } from "./sql.ts";
import { SCHEMA_V1 } from "./store-schema.ts";
import { type IssueTokensOptions, type TokenFilter, type TokenRecord, TokenStore } from "./token-store.ts";
import { type User, UserStore } from "./user-store.ts";

export type { AuthorizationCode } from "./authorization-code-store.ts";
export { type Contract, clientIdOf } from "./contract-store.ts";
export type { FileSource, LibraryFile } from "./library-file.ts";
export type { Postbox } from "./postbox-store.ts";
export type { Preauthorization } from "./preauthorization-store.ts";
export { newId } from "./sql.ts";
export type { TokenFilter, TokenRecord } from "./token-store.ts";
export type { User } from "./user-store.ts";

/** Options of {@link Store.open}. */
export interface StoreOptions {
  /** Folder for `emulator.sqlite`, `library/` and `tmp/`. Ignored when `memory` is true. */
  dataDir?: string;
  /** Keep the database in memory and files in a temporary folder removed by `close()`. */
  memory?: boolean;
}

/**
 * The emulator's state: SQLite (Node's built-in `node:sqlite`) for records, plain files for the
 * decrypted library. In file mode everything lives in `dataDir` and survives a restart; in memory
 * mode the database is `:memory:` and files go to a temporary folder that `close()` removes. Each
 * table has its own module (`*-store.ts`); the methods here are theirs, under one roof.
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
  readonly #sql: Sql;
  readonly #contracts: ContractStore;
  readonly #users: UserStore;
  readonly #postboxes: PostboxStore;
  readonly #preauthorizations: PreauthorizationStore;
  readonly #codes: AuthorizationCodeStore;
  readonly #tokens: TokenStore;
  readonly #nonces: NonceStore;
  readonly #files: FileStore;

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
    db.exec(SCHEMA_V1);
    migrate(db);
    const sql = new Sql(db);
    this.#sql = sql;
    this.#contracts = new ContractStore(sql);
    this.#users = new UserStore(sql);
    this.#postboxes = new PostboxStore(sql);
    this.#preauthorizations = new PreauthorizationStore(sql);
    this.#codes = new AuthorizationCodeStore(sql);
    this.#tokens = new TokenStore(sql);
    this.#nonces = new NonceStore(sql);
    this.#files = new FileStore(sql);
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

  /** Runs `fn` in one SQLite transaction. */
  transaction<T>(fn: () => T): T {
    return this.#sql.transaction(fn);
  }

  // --- contracts (contract-store.ts) -----------------------------------------------------------

  /** Adds a contract, or replaces the one with the same `clientId`. */
  upsertContract(contract: Omit<Contract, "clientId" | "createdAt"> & { createdAt?: number }): Contract {
    return this.#contracts.upsert(contract);
  }
  /** The contract whose `client_id` this is. */
  getContract(clientId: string): Contract | undefined {
    return this.#contracts.get(clientId);
  }
  /** All contracts, oldest first. */
  listContracts(): Contract[] {
    return this.#contracts.list();
  }

  // --- users and postboxes (user-store.ts, postbox-store.ts) -----------------------------------

  /** Creates a user with a fresh id. */
  createUser(now: number): User {
    return this.#users.create(now);
  }
  /** The user with this id. */
  getUser(id: string): User | undefined {
    return this.#users.get(id);
  }
  /** All users, oldest first. */
  listUsers(): User[] {
    return this.#users.list();
  }
  /** Stores a postbox (its id and key pair made by the caller). */
  createPostbox(postbox: Postbox): Postbox {
    return this.#postboxes.create(postbox);
  }
  /** The postbox with this id. */
  getPostbox(id: string): Postbox | undefined {
    return this.#postboxes.get(id);
  }
  /** The postbox of this user for this contract. */
  findPostbox(userId: string, clientId: string): Postbox | undefined {
    return this.#postboxes.find(userId, clientId);
  }
  /** Postboxes, of one user or of all, oldest first. */
  listPostboxes(userId?: string): Postbox[] {
    return this.#postboxes.list(userId);
  }

  // --- authorization (preauthorization-store.ts, authorization-code-store.ts) ------------------

  /** Stores a started authorization. */
  createPreauthorization(p: Omit<Preauthorization, "usedAt">): Preauthorization {
    return this.#preauthorizations.create(p);
  }
  /** The started authorization with this code, used or not. */
  getPreauthorization(code: string): Preauthorization | undefined {
    return this.#preauthorizations.get(code);
  }
  /** Marks a started authorization as decided; false when it already was. */
  usePreauthorization(code: string, now: number): boolean {
    return this.#preauthorizations.use(code, now);
  }
  /** Stores an authorization code. */
  createAuthorizationCode(a: Omit<AuthorizationCode, "usedAt">): AuthorizationCode {
    return this.#codes.create(a);
  }
  /** The authorization code, used or not. */
  getAuthorizationCode(code: string): AuthorizationCode | undefined {
    return this.#codes.get(code);
  }
  /** Marks an authorization code as redeemed; false when it already was (one-time codes). */
  useAuthorizationCode(code: string, now: number): boolean {
    return this.#codes.use(code, now);
  }

  // --- tokens and nonces (token-store.ts, nonce-store.ts) --------------------------------------

  /** Issues a new access and refresh token for a user of a contract. */
  issueTokens(options: IssueTokensOptions): { access: TokenRecord; refresh: TokenRecord } {
    return this.#tokens.issue(options);
  }
  /** The token with this value, whatever its state. */
  getToken(value: string): TokenRecord | undefined {
    return this.#tokens.get(value);
  }
  /** Rotates a refresh token; false when it is not one or was already used (see `TokenStore`). */
  useRefreshToken(token: TokenRecord, now: number): boolean {
    return this.#tokens.useRefresh(token, now);
  }
  /** Makes matching, not yet expired tokens expire now; returns how many changed. */
  expireTokens(filter: TokenFilter, kinds: TokenRecord["kind"][], now: number): number {
    return this.#tokens.expire(filter, kinds, now);
  }
  /** Revokes matching tokens (they then get `InvalidToken`); returns how many changed. */
  revokeTokens(filter: TokenFilter, now: number): number {
    return this.#tokens.revoke(filter, now);
  }
  /** Records a request nonce until `expiresAt`; false on a replay (see `NonceStore`). */
  recordNonce(clientId: string, nonce: string, expiresAt: number, now: number): boolean {
    return this.#nonces.record(clientId, nonce, expiresAt, now);
  }

  // --- library (file-store.ts, and the files on disk) ------------------------------------------

  /** Records a file whose decrypted bytes are already at `file.path` (relative to `filesDir`). */
  insertFile(file: LibraryFile): LibraryFile {
    return this.#files.insert(file);
  }
  /** One file by id. */
  getFile(id: string): LibraryFile | undefined {
    return this.#files.get(id);
  }
  /** Files, newest first, of one user and/or one postbox and/or one source, or all. */
  listFiles(filter: FileFilter = {}): LibraryFile[] {
    return this.#files.list(filter);
  }
  /** Number of stored files, of one user or of all. */
  countFiles(filter: { userId?: string } = {}): number {
    return this.#files.count(filter);
  }
  /** Where the decrypted bytes of `file` are on disk. */
  absolutePath(file: LibraryFile): string {
    return join(this.filesDir, file.path);
  }
  /** Names left in the upload folder; tests use it to check a refused upload left nothing. */
  pendingUploads(): string[] {
    return readdirSync(this.tmpDir);
  }
}
