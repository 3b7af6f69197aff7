import { DurableObject } from "cloudflare:workers";
import { postboxKeyModulusBytes, type TokenValue, type UserAccessToken } from "@digime-edge/sdk-core";
import { ConfigError, getConfig, type WriteApi } from "./config";
import { AUTH_TTL_MS } from "./lib/auth-window";
import { type ApiFailure, contractDetails, describeDigiMeFailure, getSdk } from "./lib/digime";
import { newStagingKey } from "./lib/tus/staging-cipher";
import {
  type StagedPart,
  type StagedUpload,
  StagedUploads,
  type UploadMode,
  type UploadResult,
} from "./lib/tus/upload-state";
import { UploadLeases } from "./lib/upload-leases";
import { migrateVault } from "./lib/vault-schema";

/** What `GET /api/session` may tell about a user: public information only. */
export interface VaultSession {
  /** The vault holds a token pair. */
  authenticated: boolean;
  /**
   * It also holds what the write API in use needs (postbox credentials, or an import contract's
   * account reference) and a refresh token that has not expired.
   */
  canWrite: boolean;
  /** The postbox's public key (PEM): public information, used by sealed uploads. */
  publicKey?: string;
}

/** What a write needs: an access token that is fresh now, and where to write. */
export interface WriteGrant {
  /**
   * An access token valid for at least {@link FRESHNESS_MARGIN_MS}. Only the access token: the
   * refresh token never leaves the vault, which refreshes by itself ({@link UserVault.refresh}).
   */
  accessToken: TokenValue;
  /** The user's postbox (postbox write API). */
  postboxId?: string;
  /** The postbox's public key (PEM) (postbox write API). */
  publicKey?: string;
  /** The account the sign-in named (import write API). */
  accountReference?: string;
  /** The upload slot this write holds: renew it while the upload runs, release it at its end. */
  leaseId: string;
}

/** Answer of a vault operation: the value, or a failure to answer with. */
export type VaultResult<T> = ({ ok: true } & T) | ({ ok: false } & ApiFailure);

/** An access token closer than this to its expiry is refreshed before a write. */
export const FRESHNESS_MARGIN_MS = 60_000;

interface TokenRow {
  access_token: string;
  access_expiry: number;
  refresh_token: string;
  refresh_expiry: number;
  postbox_id: string | null;
  public_key: string | null;
  account_reference: string | null;
  last_seen_at: number;
  [key: string]: SqlStorageValue;
}

const NO_SESSION: ApiFailure = { status: 401, code: "UNAUTHENTICATED", message: "sign in first" };
const SESSION_EXPIRED: ApiFailure = {
  status: 401,
  code: "SESSION_EXPIRED",
  message: "the sign-in has expired; sign in again",
};

/**
 * One user's vault: a Durable Object (SQLite storage) holding the user's digi.me token pair, postbox
 * credentials (one sign-in's session). Nothing it answers over RPC leaves the Worker: the Worker
 * hands the browser only {@link VaultSession}.
 *
 * Refreshes are single-flight: concurrent callers share one refresh, and the rotated pair is stored
 * before anyone uses it, so a crash cannot lose the user's access.
 */
export class UserVault extends DurableObject<Env> {
  #refreshing: Promise<VaultResult<{ token: UserAccessToken }>> | undefined;
  #bucket = { tokens: Number.NaN, at: 0 };
  readonly #leases = new UploadLeases();
  #staged: StagedUploads | undefined;

  /**
   * Brings the storage to the latest schema (`lib/vault-schema.ts`).
   *
   * @param ctx - The object's state (its SQLite storage).
   * @param env - The Worker's bindings (the settings, for refreshes).
   */
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#migrate();
  }

  #migrate(): void {
    migrateVault(this.ctx.storage);
  }

  #row(): TokenRow | undefined {
    return this.ctx.storage.sql.exec<TokenRow>("SELECT * FROM tokens WHERE id = 1").toArray()[0];
  }

  #store(token: UserAccessToken): void {
    this.ctx.storage.sql.exec(
      `UPDATE tokens SET access_token = ?, access_expiry = ?, refresh_token = ?, refresh_expiry = ?,
       updated_at = ? WHERE id = 1`,
      token.accessToken.value,
      token.accessToken.expiry,
      token.refreshToken.value,
      token.refreshToken.expiry,
      Date.now(),
    );
  }

  /**
   * Claims this (fresh) vault for the sign-in whose session id names it: only once, and only while
   * it holds nothing. A sign-in whose exchange then fails leaves only the claim, which the alarm
   * deletes.
   *
   * @returns Whether the claim was taken.
   */
  async claimSignIn(): Promise<boolean> {
    const sql = this.ctx.storage.sql;
    const taken = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sign_in").one().n > 0;
    if (taken || this.#row()) return false;
    const now = Date.now();
    sql.exec("INSERT INTO sign_in (id, claimed_at) VALUES (1, ?)", now);
    await this.ctx.storage.setAlarm(now + AUTH_TTL_MS);
    return true;
  }

  /**
   * Deletes the vault when it holds no session (a claim whose sign-in never stored tokens) or its
   * session went idle; else comes back when the session would go idle.
   */
  async alarm(): Promise<void> {
    const row = this.#row();
    const idleMs = this.#idleMs();
    // Expired resumable uploads go first (and what they staged in R2); the next one to expire
    // brings the alarm back sooner than the session's idle time, if it is sooner.
    const nextUpload = (await this.#uploads().sweep()) ?? Number.POSITIVE_INFINITY;
    if (!row || row.last_seen_at + idleMs <= Date.now()) await this.clear();
    else await this.ctx.storage.setAlarm(Math.min(row.last_seen_at + idleMs, nextUpload));
  }

  /** The session idle timeout in force (the Worker's setting). */
  #idleMs(): number {
    return getConfig(this.env).sessionIdleTimeoutMs;
  }

  /**
   * The token row of a session still in use, marked as used now; a session idle for longer than
   * the idle timeout is forgotten whole.
   */
  async #activeRow(): Promise<TokenRow | undefined> {
    const row = this.#row();
    if (!row) return undefined;
    const now = Date.now();
    if (row.last_seen_at + this.#idleMs() <= now) {
      await this.clear();
      return undefined;
    }
    this.ctx.storage.sql.exec("UPDATE tokens SET last_seen_at = ? WHERE id = 1", now);
    return { ...row, last_seen_at: now };
  }

  /**
   * Completes a sign-in here, so that its tokens never pass through the isolate: exchanges the
   * authorization code with digi.me and stores what it gave (`#storeAuthorization`). Answers
   * only when the refresh token expires (the session cookie lasts no longer).
   *
   * @param input - The authorization code and its PKCE verifier, and what the redirect carried:
   *   the postbox credentials (postbox contract) or the account reference (import contract).
   */
  async completeAuthorization(input: {
    code: string;
    codeVerifier: string;
    postboxId?: string | undefined;
    publicKey?: string | undefined;
    accountReference?: string | undefined;
  }): Promise<VaultResult<{ refreshExpiry: number }>> {
    let token: UserAccessToken;
    try {
      const config = getConfig(this.env);
      token = await getSdk(config).exchangeCodeForToken({
        contractDetails: contractDetails(config),
        authorizationCode: input.code,
        codeVerifier: input.codeVerifier,
      });
    } catch (error) {
      return { ok: false, ...callFailure("exchange_failed", error) };
    }
    const { postboxId, publicKey, accountReference } = input;
    await this.#storeAuthorization({ token, postboxId, publicKey, accountReference });
    return { ok: true, refreshExpiry: token.refreshToken.expiry };
  }

  /**
   * Stores what an authorization gave: the token pair and, for a write contract, the postbox or
   * (import contract) the account reference. Private: tokens only ever come from the vault's own
   * exchange, never over RPC.
   *
   * @param input - The token pair, postbox credentials or account reference.
   */
  async #storeAuthorization(input: {
    token: UserAccessToken;
    postboxId?: string | undefined;
    publicKey?: string | undefined;
    accountReference?: string | undefined;
  }): Promise<void> {
    const { token } = input;
    const now = Date.now();
    // Only this sign-in's postbox: the vault is fresh (claimed), nothing earlier is kept.
    this.ctx.storage.sql.exec(
      `INSERT OR REPLACE INTO tokens (id, access_token, access_expiry, refresh_token, refresh_expiry,
       postbox_id, public_key, account_reference, updated_at, last_seen_at)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      token.accessToken.value,
      token.accessToken.expiry,
      token.refreshToken.value,
      token.refreshToken.expiry,
      input.postboxId ?? null,
      input.publicKey ?? null,
      input.accountReference ?? null,
      now,
      now,
    );
    await this.ctx.storage.setAlarm(now + this.#idleMs());
  }

  /** What the browser may know about this user. */
  async session(): Promise<VaultSession> {
    const row = await this.#activeRow();
    if (!row) return { authenticated: false, canWrite: false };
    const canWrite = writesWith(row, getConfig(this.env).writeApi) && row.refresh_expiry > Date.now();
    return { authenticated: true, canWrite, ...(row.public_key ? { publicKey: row.public_key } : {}) };
  }

  /**
   * Admits one write: takes from the user's rate budget, then answers a token that is fresh now
   * (refreshing it, single-flight, when it is close to expiry) with the postbox credentials.
   *
   * @param input - The per-minute budget and the uploads allowed at once (the Worker's settings)
   *   and, for a sealed upload, the size of its wrapped AES key: it must be the postbox key's
   *   modulus size, else the write is refused (400 `BAD_SYMMETRICAL_KEY`) before the budget is
   *   touched or a token refreshed. An upload over `maxConcurrent` is refused (429
   *   `TOO_MANY_UPLOADS`) before the budget is touched. An admitted write holds an upload slot
   *   until {@link UserVault.releaseWrite}.
   */
  async acquireWrite(input: {
    ratePerMinute: number;
    maxConcurrent: number;
    wrappedKeyBytes?: number;
  }): Promise<VaultResult<WriteGrant>> {
    const row = await this.#activeRow();
    if (!row) return { ok: false, ...NO_SESSION };
    const writeApi = getConfig(this.env).writeApi;
    if (!writesWith(row, writeApi)) {
      return {
        ok: false,
        status: 403,
        code: "CANNOT_WRITE",
        message:
          writeApi === "import"
            ? "this sign-in gave no account to import into; sign in again"
            : "this sign-in gave no postbox to write to",
      };
    }
    if (input.wrappedKeyBytes !== undefined) {
      const expected = modulusBytes(row.public_key ?? "");
      if (input.wrappedKeyBytes !== expected) {
        return {
          ok: false,
          status: 400,
          code: "BAD_SYMMETRICAL_KEY",
          message: `the wrapped key must be ${expected} bytes, the size of the postbox key`,
        };
      }
    }
    if (this.#leases.active(Date.now()) >= input.maxConcurrent) {
      return {
        ok: false,
        status: 429,
        code: "TOO_MANY_UPLOADS",
        message: `at most ${input.maxConcurrent} uploads at once; send this one when another has ended`,
        retryAfter: 5,
      };
    }
    const limited = this.#spend(input.ratePerMinute);
    if (limited) return limited;
    const leaseId = crypto.randomUUID();
    this.#leases.take(leaseId, input.maxConcurrent, Date.now());
    const fresh = await this.#freshAccess(row);
    if (!fresh.ok) {
      this.#leases.release(leaseId);
      return fresh;
    }
    const { accessToken } = fresh;
    if (writeApi === "import") {
      return { ok: true, accessToken, accountReference: row.account_reference as string, leaseId };
    }
    const { postbox_id: postboxId, public_key: publicKey } = row;
    return { ok: true, accessToken, postboxId: postboxId as string, publicKey: publicKey as string, leaseId };
  }

  /**
   * Admits one call with the user's token that carries no file (accounts, user deletion): takes
   * from the user's rate budget (as an upload does), then answers an access token that is fresh now.
   *
   * @param input - The per-minute budget (the Worker's setting).
   */
  async acquireCall(input: { ratePerMinute: number }): Promise<VaultResult<{ accessToken: TokenValue }>> {
    const row = await this.#activeRow();
    if (!row) return { ok: false, ...NO_SESSION };
    return this.#spend(input.ratePerMinute) ?? this.#freshAccess(row);
  }

  /** Takes one from the rate budget; the 429 `RATE_LIMITED` failure when it is spent. */
  #spend(ratePerMinute: number): ({ ok: false } & ApiFailure) | undefined {
    const wait = this.#take(ratePerMinute);
    if (wait === 0) return undefined;
    return {
      ok: false,
      status: 429,
      code: "RATE_LIMITED",
      message: `at most ${ratePerMinute} uploads and calls a minute; try again in ${wait} s`,
      retryAfter: wait,
    };
  }

  /** The row's access token, refreshed (single-flight) first when it is close to its expiry. */
  async #freshAccess(row: TokenRow): Promise<VaultResult<{ accessToken: TokenValue }>> {
    const token = toToken(row);
    if (token.accessToken.expiry - FRESHNESS_MARGIN_MS > Date.now()) {
      return { ok: true, accessToken: token.accessToken };
    }
    const refreshed = await this.#fresh(token.accessToken.value);
    return refreshed.ok ? { ok: true, accessToken: refreshed.token.accessToken } : refreshed;
  }

  /**
   * Keeps a running upload's slot (see `lib/upload-leases.ts`).
   *
   * @param leaseId - The slot {@link UserVault.acquireWrite} gave.
   */
  async renewWrite(leaseId: string): Promise<void> {
    this.#leases.renew(leaseId, Date.now());
  }

  /**
   * Gives an upload's slot back, at whatever end the upload came to.
   *
   * @param leaseId - The slot {@link UserVault.acquireWrite} gave.
   */
  async releaseWrite(leaseId: string): Promise<void> {
    this.#leases.release(leaseId);
  }

  /**
   * Answers an access token newer than `staleAccessToken` (sdk-core's `refresh` hook during a
   * write), refreshed single-flight when needed. Only the access token: the refresh token never
   * leaves the vault.
   *
   * @param staleAccessToken - The access token value the caller found stale.
   */
  async refresh(staleAccessToken: string): Promise<VaultResult<{ accessToken: TokenValue }>> {
    const fresh = await this.#fresh(staleAccessToken);
    return fresh.ok ? { ok: true, accessToken: fresh.token.accessToken } : fresh;
  }

  /**
   * A token pair newer than `staleAccessToken`: the stored one when another caller already
   * refreshed, the result of the refresh in flight, or of a new refresh (single-flight). The
   * rotated pair is stored before it is answered. A failed refresh leaves the stored pair as it was.
   *
   * @param staleAccessToken - The access token value the caller found stale.
   */
  async #fresh(staleAccessToken: string): Promise<VaultResult<{ token: UserAccessToken }>> {
    const row = this.#row();
    if (!row) return { ok: false, ...NO_SESSION };
    if (row.access_token !== staleAccessToken && row.access_expiry - FRESHNESS_MARGIN_MS > Date.now()) {
      return { ok: true, token: toToken(row) };
    }
    this.#refreshing ??= this.#refresh(toToken(row)).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(current: UserAccessToken): Promise<VaultResult<{ token: UserAccessToken }>> {
    if (current.refreshToken.expiry <= Date.now()) return { ok: false, ...SESSION_EXPIRED };
    try {
      const config = getConfig(this.env);
      const token = await getSdk(config).refreshToken({
        contractDetails: contractDetails(config),
        userAccessToken: current,
      });
      this.#store(token);
      return { ok: true, token };
    } catch (error) {
      return { ok: false, ...callFailure("refresh_failed", error) };
    }
  }

  /** Forgets the user: tokens, postbox, the sign-in's claim. */
  async clear(): Promise<void> {
    this.#refreshing = undefined;
    this.#leases.clear();
    await this.#uploads().dropAll();
    await this.ctx.storage.deleteAll();
    this.#migrate();
  }

  // --- Resumable uploads (tus): see lib/tus/upload-state.ts -------------------------------------

  #uploads(): StagedUploads {
    this.#staged ??= new StagedUploads(this.ctx.storage, this.env.TUS_STAGING);
    return this.#staged;
  }

  /**
   * Starts a resumable upload for the signed-in user: checked as a write is (a session that can
   * write; a sealed upload's wrapped key the size of the postbox key), at most `maxOpen` uploads
   * held at once (429 `TOO_MANY_UPLOADS`), one from the rate budget. A plain or import upload gets
   * its staging key here, which never leaves this object but to the Worker handling its PATCHes.
   *
   * @param input - The upload's mode, length, metadata (JSON), lifetime and the limits in force.
   */
  async createUpload(input: {
    mode: UploadMode;
    length: number;
    metadata: string;
    ttlMs: number;
    maxOpen: number;
    ratePerMinute: number;
    wrappedKeyBytes?: number;
  }): Promise<VaultResult<{ id: string; expiresAt: number }>> {
    const row = await this.#activeRow();
    if (!row) return { ok: false, ...NO_SESSION };
    if (!writesWith(row, getConfig(this.env).writeApi))
      return {
        ok: false,
        status: 403,
        code: "CANNOT_WRITE",
        message: "this sign-in cannot write; sign in again",
      };
    if (input.wrappedKeyBytes !== undefined && input.wrappedKeyBytes !== modulusBytes(row.public_key ?? "")) {
      return {
        ok: false,
        status: 400,
        code: "BAD_SYMMETRICAL_KEY",
        message: "the wrapped key must be the size of the postbox key",
      };
    }
    const uploads = this.#uploads();
    if (uploads.count() >= input.maxOpen) {
      return {
        ok: false,
        status: 429,
        code: "TOO_MANY_UPLOADS",
        message: `at most ${input.maxOpen} resumable uploads at once; finish or end one first`,
        retryAfter: 60,
      };
    }
    const limited = this.#spend(input.ratePerMinute);
    if (limited) return limited;
    const expiresAt = Date.now() + input.ttlMs;
    const { id } = await uploads.create({
      mode: input.mode,
      length: input.length,
      metadata: input.metadata,
      expiresAt,
      ...(input.mode === "sealed" ? {} : { stagingKey: newStagingKey() }),
    });
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm > expiresAt) await this.ctx.storage.setAlarm(expiresAt);
    return { ok: true, id, expiresAt };
  }

  /**
   * A resumable upload of the signed-in user, for HEAD (404 unknown, 410 expired).
   *
   * @param id - The upload's id.
   */
  async upload(id: string): Promise<UploadResult<{ upload: StagedUpload }>> {
    if (!(await this.#activeRow())) return { ok: false, ...NO_SESSION };
    const found = this.#uploads().get(id);
    if (!found.ok) return found;
    const { stagingKey: _, ...upload } = found.upload;
    return { ok: true, upload };
  }

  /**
   * Locks an upload for one PATCH at `offset` (see `StagedUploads.lock`).
   *
   * @param id - The upload's id.
   * @param offset - The PATCH's `Upload-Offset`.
   */
  async lockUpload(
    id: string,
    offset: number,
  ): Promise<UploadResult<{ upload: StagedUpload; lockId: string }>> {
    if (!(await this.#activeRow())) return { ok: false, ...NO_SESSION };
    return this.#uploads().lock(id, offset);
  }

  /**
   * Keeps a PATCH's lock (see `StagedUploads.renew`).
   *
   * @param id - The upload's id.
   * @param lockId - The PATCH's lock.
   */
  async renewUpload(id: string, lockId: string): Promise<boolean> {
    return this.#uploads().renew(id, lockId);
  }

  /**
   * Records what a PATCH staged (see `StagedUploads.record`).
   *
   * @param id - The upload's id.
   * @param lockId - The PATCH's lock.
   * @param staged - Every part staged, and the tail's size.
   */
  async recordUpload(
    id: string,
    lockId: string,
    staged: { parts: StagedPart[]; tailBytes: number },
  ): Promise<UploadResult<{ offset: number; staleTail?: string }>> {
    return this.#uploads().record(id, lockId, staged);
  }

  /**
   * Moves a fully staged upload on (see `StagedUploads.advance`).
   *
   * @param id - The upload's id.
   * @param lockId - The PATCH's lock.
   * @param to - `complete` or `delivering`.
   */
  async advanceUpload(
    id: string,
    lockId: string,
    to: "complete" | "delivering",
  ): Promise<UploadResult<object>> {
    return this.#uploads().advance(id, lockId, to);
  }

  /**
   * Ends a delivery (see `StagedUploads.settle`).
   *
   * @param id - The upload's id.
   * @param lockId - The PATCH's lock.
   * @param outcome - The answer, and the state it leaves.
   */
  async settleUpload(
    id: string,
    lockId: string,
    outcome: { state: "delivered" | "failed" | "complete"; status: number; body: string },
  ): Promise<void> {
    this.#uploads().settle(id, lockId, outcome);
  }

  /**
   * Gives a PATCH's lock back.
   *
   * @param id - The upload's id.
   * @param lockId - The PATCH's lock.
   */
  async unlockUpload(id: string, lockId: string): Promise<void> {
    this.#uploads().unlock(id, lockId);
  }

  /**
   * Ends an upload of the signed-in user and deletes what it staged (tus termination).
   *
   * @param id - The upload's id.
   */
  async terminateUpload(id: string): Promise<UploadResult<object>> {
    if (!(await this.#activeRow())) return { ok: false, ...NO_SESSION };
    return this.#uploads().terminate(id);
  }

  /** Token bucket of `ratePerMinute`: 0 when admitted, else whole seconds until the next slot. */
  #take(ratePerMinute: number): number {
    const now = Date.now();
    const perMs = ratePerMinute / 60_000;
    const tokens = Number.isNaN(this.#bucket.tokens)
      ? ratePerMinute
      : Math.min(ratePerMinute, this.#bucket.tokens + (now - this.#bucket.at) * perMs);
    if (tokens >= 1) {
      this.#bucket = { tokens: tokens - 1, at: now };
      return 0;
    }
    this.#bucket = { tokens, at: now };
    return Math.max(1, Math.ceil((1 - tokens) / perMs / 1000));
  }
}

/** A failed digi.me call of the vault as its answer, logged by code only (never a message). */
function callFailure(event: string, error: unknown): ApiFailure {
  if (error instanceof ConfigError) return { status: 500, code: "CONFIG_INVALID", message: error.message };
  const failure = describeDigiMeFailure(error);
  console.error(JSON.stringify({ event, code: failure.code, upstream: failure.upstream }));
  return failure;
}

const moduli = new Map<string, number>();

/** The modulus size of a stored postbox key (0 for a key that does not parse: nothing matches it). */
function modulusBytes(publicKey: string): number {
  let bytes = moduli.get(publicKey);
  if (bytes === undefined) {
    try {
      bytes = postboxKeyModulusBytes(publicKey);
    } catch {
      bytes = 0;
    }
    if (moduli.size >= 64) moduli.clear();
    moduli.set(publicKey, bytes);
  }
  return bytes;
}

/** Whether a session holds what the write API needs: a postbox, or an import account reference. */
function writesWith(row: TokenRow, writeApi: WriteApi): boolean {
  return writeApi === "import" ? Boolean(row.account_reference) : Boolean(row.postbox_id && row.public_key);
}

function toToken(row: TokenRow): UserAccessToken {
  return {
    accessToken: { value: row.access_token, expiry: row.access_expiry },
    refreshToken: { value: row.refresh_token, expiry: row.refresh_expiry },
  };
}
