import { describe, expect, it } from "vitest";
import { callbackGrant } from "../../src/lib/callback-grant.ts";

const PEM = "-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEAx\n-----END RSA PUBLIC KEY-----\n";

describe("callbackGrant: what a redirect carries, by write API", () => {
  it("postbox: the postbox and its key; none is a grant without a postbox", () => {
    expect(callbackGrant("postbox", { postboxId: "pb-1", publicKey: PEM })).toEqual({
      ok: true,
      grant: { postboxId: "pb-1", publicKey: PEM },
    });
    expect(callbackGrant("postbox", {})).toEqual({ ok: true, grant: {} });
    expect(callbackGrant("postbox", { postboxId: "", publicKey: "" })).toEqual({ ok: true, grant: {} });
  });

  it("import: the account reference; none is a grant without an account", () => {
    expect(callbackGrant("import", { accountReference: "ref-1" })).toEqual({
      ok: true,
      grant: { accountReference: "ref-1" },
    });
    expect(callbackGrant("import", {})).toEqual({ ok: true, grant: {} });
  });

  it.each([
    ["postbox", { accountReference: "ref-1" }],
    ["postbox", { postboxId: "pb-1", publicKey: PEM, accountReference: "" }],
    ["import", { postboxId: "pb-1" }],
    ["import", { publicKey: PEM, accountReference: "ref-1" }],
    ["import", { postboxId: "" }],
  ] as const)("%s refuses %j as WRITE_API_MISMATCH", (api, query) => {
    expect(callbackGrant(api, query)).toEqual({ ok: false, code: "WRITE_API_MISMATCH" });
  });

  it.each([
    ["postbox", { postboxId: "a/b" }],
    ["postbox", { postboxId: "x".repeat(257) }],
    ["postbox", { postboxId: "pb", publicKey: "not a key" }],
    ["import", { accountReference: "" }],
    ["import", { accountReference: "a b" }],
    ["import", { accountReference: "../x" }],
    ["import", { accountReference: "%2e" }],
  ] as const)("%s refuses malformed %j as BAD_CALLBACK", (api, query) => {
    expect(callbackGrant(api, query)).toEqual({ ok: false, code: "BAD_CALLBACK" });
  });
});
