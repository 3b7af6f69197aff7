import { DurableObject } from "cloudflare:workers";
import type { TokenValue } from "@digime-edge/sdk-core";
import { getConfig } from "./config.ts";
import { RateBudget } from "./lib/rate-budget.ts";
import { type OpenUploadInput, openUpload } from "./lib/tus/open-upload.ts";
import { StagedUploads } from "./lib/tus/upload-state.ts";
import type { StagedPart, StagedUpload, UploadResult } from "./lib/tus/upload-types.ts";
import { UploadLeases } from "./lib/upload-leases.ts";
import { TokenRefresher } from "./lib/vault-refresh.ts";
import { migrateVault } from "./lib/vault-schema.ts";
import { claimSignIn, completeSignIn, type SignInCompletion } from "./lib/vault-sign-in.ts";
import {
  NO_SESSION,
  readTokens,
  type TokenRow,
  type VaultResult,
  type VaultSession,
  type WriteGrant,
  writesWith,
} from "./lib/vault-tokens.ts";
import { admitWrite, type WriteRequest, writeRefusal } from "./lib/write-admission.ts";

export {
  FRESHNESS_MARGIN_MS,
  type VaultResult,
  type VaultSession,
  type WriteGrant,
} from "./lib/vault-tokens.ts";

/**
 * One user's vault: a Durable Object (SQLite storage) holding the user's digi.me token pair, postbox
 * credentials (one sign-in's session). Nothing it returns over RPC leaves the Worker: the Worker
 * hands the browser only {@link VaultSession}.
 *
 * A shell over its concerns: sign-ins (`lib/vault-sign-in.ts`), token custody
 * (`lib/vault-tokens.ts`), single-flight refreshes (`lib/vault-refresh.ts`), write admission
 * (`lib/write-admission.ts`), the rate budget
 * (`lib/rate-budget.ts`), upload slots (`lib/upload-leases.ts`) and resumable uploads
 * (`lib/tus/upload-state.ts`).
 */
export class UserVault extends DurableObject<Env> {
  readonly #tokens: TokenRefresher;
  readonly #budget = new RateBudget();
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
    this.#tokens = new TokenRefresher(ctx.storage.sql, env);
    migrateVault(this.ctx.storage);
  }

  /** Claims this fresh vault for the sign-in its id names, once (see `lib/vault-sign-in.ts`). */
  async claimSignIn(): Promise<boolean> {
    return claimSignIn(this.ctx.storage);
  }

  /**
   * Deletes the vault when it holds no session (a claim whose sign-in never stored tokens) or its
   * session went idle; else comes back when the session would go idle.
   */
  async alarm(): Promise<void> {
    const row = readTokens(this.ctx.storage.sql);
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
    const row = readTokens(this.ctx.storage.sql);
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
   * code with digi.me and stores what it gave (tokens only ever come from the vault's own
   * exchange, never over RPC). Returns only when the refresh token expires.
   *
   * @param input - The code, its PKCE verifier, and the postbox credentials or account reference.
   */
  async completeAuthorization(input: SignInCompletion): Promise<VaultResult<{ refreshExpiry: number }>> {
    return completeSignIn(this.ctx.storage, getConfig(this.env), input);
  }

  /** What the browser may know about this user. */
  async session(): Promise<VaultSession> {
    const row = await this.#activeRow();
    if (!row) return { authenticated: false, canWrite: false };
    const canWrite = writesWith(row, getConfig(this.env).writeApi) && row.refresh_expiry > Date.now();
    return { authenticated: true, canWrite, ...(row.public_key ? { publicKey: row.public_key } : {}) };
  }

  /**
   * Admits one write (see `admitWrite` in `lib/write-admission.ts`): a token that is fresh now,
   * where to write, and an upload slot held until {@link UserVault.releaseWrite}.
   *
   * @param input - The limits in force and, for a sealed upload, its wrapped key's size.
   */
  async acquireWrite(input: WriteRequest): Promise<VaultResult<WriteGrant>> {
    const row = await this.#activeRow();
    if (!row) return { ok: false, ...NO_SESSION };
    const vault = { budget: this.#budget, leases: this.#leases, tokens: this.#tokens };
    return admitWrite(row, getConfig(this.env).writeApi, input, vault);
  }

  /**
   * Admits one call with the user's token that carries no file (accounts, user deletion): takes
   * from the user's rate budget (as an upload does), then returns an access token that is fresh now.
   *
   * @param input - The per-minute budget (the Worker's setting).
   */
  async acquireCall(input: { ratePerMinute: number }): Promise<VaultResult<{ accessToken: TokenValue }>> {
    const row = await this.#activeRow();
    if (!row) return { ok: false, ...NO_SESSION };
    return this.#budget.spend(input.ratePerMinute) ?? this.#tokens.freshAccess(row);
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
   * Returns an access token newer than `staleAccessToken` (sdk-core's `refresh` hook during a
   * write), refreshed single-flight when needed. Only the access token: the refresh token never
   * leaves the vault.
   *
   * @param staleAccessToken - The access token value the caller found stale.
   */
  async refresh(staleAccessToken: string): Promise<VaultResult<{ accessToken: TokenValue }>> {
    const fresh = await this.#tokens.fresh(staleAccessToken);
    return fresh.ok ? { ok: true, accessToken: fresh.token.accessToken } : fresh;
  }

  /** Forgets the user: tokens, postbox, the sign-in's claim. */
  async clear(): Promise<void> {
    this.#tokens.reset();
    this.#leases.clear();
    await this.#uploads().dropAll();
    await this.ctx.storage.deleteAll();
    migrateVault(this.ctx.storage);
  }

  // --- Resumable uploads (tus): see lib/tus/upload-state.ts -------------------------------------

  #uploads(): StagedUploads {
    this.#staged ??= new StagedUploads(this.ctx.storage, this.env.TUS_STAGING);
    return this.#staged;
  }

  /**
   * Starts a resumable upload for the signed-in user: checked as a write is (a session that can
   * write; a sealed upload's wrapped key the size of the postbox key), then `lib/tus/open-upload.ts`.
   * A plain or import upload's staging key never leaves this object but to the Worker handling its
   * PATCHes.
   *
   * @param input - The upload's mode, length, metadata (JSON), lifetime and the limits in force.
   */
  async createUpload(input: OpenUploadInput): Promise<VaultResult<{ id: string; expiresAt: number }>> {
    const row = await this.#activeRow();
    if (!row) return { ok: false, ...NO_SESSION };
    const refused = writeRefusal(row, getConfig(this.env).writeApi, input.wrappedKeyBytes, "upload");
    if (refused) return refused;
    return openUpload(this.#uploads(), this.ctx.storage, input, (rate) => this.#budget.spend(rate));
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

  // The PATCH's hooks below hold no session check: a PATCH holds the lock its `lockUpload` took.

  /** Keeps a PATCH's lock (see `StagedUploads.renew`, which documents the parameters). */
  async renewUpload(id: string, lockId: string): Promise<boolean> {
    return this.#uploads().renew(id, lockId);
  }

  /** Records what a PATCH staged (see `StagedUploads.record`, which documents the parameters). */
  async recordUpload(
    id: string,
    lockId: string,
    staged: { parts: StagedPart[]; tailBytes: number },
  ): Promise<UploadResult<{ offset: number; staleTail?: string }>> {
    return this.#uploads().record(id, lockId, staged);
  }

  /** Moves a fully staged upload on (see `StagedUploads.advance`, which documents the parameters). */
  async advanceUpload(
    id: string,
    lockId: string,
    to: "complete" | "delivering",
  ): Promise<UploadResult<object>> {
    return this.#uploads().advance(id, lockId, to);
  }

  /** Ends a delivery (see `StagedUploads.settle`, which documents the parameters). */
  async settleUpload(
    id: string,
    lockId: string,
    outcome: Parameters<StagedUploads["settle"]>[2],
  ): Promise<void> {
    this.#uploads().settle(id, lockId, outcome);
  }

  /** Gives a PATCH's lock back (see `StagedUploads.unlock`, which documents the parameters). */
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

  /**
   * Drops an upload whose creation-with-upload failed (see `StagedUploads.abandon`, which
   * documents the parameter).
   */
  async abandonUpload(id: string): Promise<void> {
    await this.#uploads().abandon(id);
  }
}
