import { describe, expect, it } from "vitest";
import { LEASE_RENEW_MS, LEASE_TTL_MS, UploadLeases } from "../../src/lib/upload-leases.ts";

describe("UploadLeases (the uploads one user has in progress)", () => {
  it("takes up to max leases; a released one frees its slot; releasing twice or an unknown id does nothing", () => {
    const leases = new UploadLeases();
    expect(["a", "b", "c"].map((id) => leases.take(id, 2, 1000))).toEqual([true, true, false]);
    expect(leases.active(1000)).toBe(2);
    leases.release("a");
    leases.release("a");
    leases.release("never-taken");
    expect(leases.active(1000)).toBe(1);
    expect(leases.take("c", 2, 1000)).toBe(true);
    expect(leases.take("d", 2, 1000)).toBe(false);
  });

  it("a lease neither renewed nor released lapses after LEASE_TTL_MS; a renewed one does not", () => {
    expect(LEASE_RENEW_MS * 2).toBeLessThan(LEASE_TTL_MS);
    const leases = new UploadLeases();
    leases.take("lost", 2, 0);
    leases.take("running", 2, 0);
    leases.renew("running", LEASE_RENEW_MS);
    leases.renew("running", 2 * LEASE_RENEW_MS);
    expect(leases.active(LEASE_TTL_MS - 1)).toBe(2);
    expect(leases.active(LEASE_TTL_MS)).toBe(1);
    expect(leases.take("next", 2, LEASE_TTL_MS)).toBe(true);
    expect(leases.active(2 * LEASE_RENEW_MS + LEASE_TTL_MS)).toBe(1);
  });

  it("renewing a lease it forgot (the object restarted) counts it again; clear forgets all", () => {
    const leases = new UploadLeases();
    leases.renew("from-before", 0);
    expect(leases.take("new", 1, 0)).toBe(false);
    leases.clear();
    expect(leases.active(0)).toBe(0);
    expect(leases.take("new", 1, 0)).toBe(true);
  });
});
