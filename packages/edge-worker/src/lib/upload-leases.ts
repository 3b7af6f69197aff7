/**
 * The uploads one user has in progress, counted in the user's Durable Object (one instance per
 * user, whatever isolate runs the upload). Each upload holds a lease from its admission until it
 * ends; the isolate renews it while the upload runs and releases it at every end. A lease that is
 * neither renewed nor released (the invocation was cut off before it could say so) lapses after
 * {@link LEASE_TTL_MS}, so a lost release never locks the user out for long.
 */

/** A lease not renewed for this long no longer counts. */
export const LEASE_TTL_MS = 60_000;
/** How often a running upload renews its lease: well within {@link LEASE_TTL_MS}. */
export const LEASE_RENEW_MS = 20_000;

/** The leases of one user's uploads in progress: id → when it lapses (ms since the epoch). */
export class UploadLeases {
  readonly #leases = new Map<string, number>();

  /**
   * Takes a lease when fewer than `max` are held.
   *
   * @param id - The new lease's id (unique).
   * @param max - Uploads allowed at once.
   * @param now - The time, ms since the epoch.
   * @returns Whether the lease was taken.
   */
  take(id: string, max: number, now: number): boolean {
    if (this.active(now) >= max) return false;
    this.#leases.set(id, now + LEASE_TTL_MS);
    return true;
  }

  /**
   * Keeps a lease alive. An unknown one is taken again (the object restarted and forgot it): the
   * upload is running, so it counts.
   *
   * @param id - The lease's id.
   * @param now - The time, ms since the epoch.
   */
  renew(id: string, now: number): void {
    this.#leases.set(id, now + LEASE_TTL_MS);
  }

  /**
   * Gives a lease back (an unknown or lapsed one is ignored).
   *
   * @param id - The lease's id.
   */
  release(id: string): void {
    this.#leases.delete(id);
  }

  /**
   * How many leases count now; lapsed ones are dropped.
   *
   * @param now - The time, ms since the epoch.
   */
  active(now: number): number {
    for (const [id, until] of this.#leases) if (until <= now) this.#leases.delete(id);
    return this.#leases.size;
  }

  /** Forgets every lease (the user signed out). */
  clear(): void {
    this.#leases.clear();
  }
}
