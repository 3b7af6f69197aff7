import { encodeBase64 } from "@digime-edge/sdk-core/internal";
import { describe, expect, it } from "vitest";
import { callbackGrant } from "../../src/lib/callback-grant.ts";

const { publicKey } = (await crypto.subtle.generateKey(
  { name: "RSA-OAEP", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
  true,
  ["encrypt", "decrypt"],
)) as CryptoKeyPair;
const spki = new Uint8Array((await crypto.subtle.exportKey("spki", publicKey)) as ArrayBuffer);
/** A real postbox key, SPKI PEM. */
const PEM = `-----BEGIN PUBLIC KEY-----\n${encodeBase64(spki).replace(/.{64}/g, "$&\n")}\n-----END PUBLIC KEY-----\n`;
/** The shape of a PEM public key (base64 lines between the right labels), but no key inside. */
const PEM_SHAPED = "-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEAx\n-----END RSA PUBLIC KEY-----\n";

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
    ["postbox", { postboxId: "pb-1", publicKey: PEM_SHAPED, accountReference: "" }],
    ["import", { postboxId: "pb-1" }],
    ["import", { publicKey: PEM_SHAPED, accountReference: "ref-1" }],
    ["import", { postboxId: "" }],
  ] as const)("%s refuses %j as WRITE_API_MISMATCH", (api, query) => {
    expect(callbackGrant(api, query)).toEqual({ ok: false, code: "WRITE_API_MISMATCH" });
  });

  it.each([
    ["postbox", { postboxId: "a/b" }],
    ["postbox", { postboxId: "x".repeat(257) }],
    ["postbox", { postboxId: "pb", publicKey: "not a key" }],
    ["postbox", { postboxId: "pb", publicKey: PEM_SHAPED }],
    ["import", { accountReference: "" }],
    ["import", { accountReference: "a b" }],
    ["import", { accountReference: "../x" }],
    ["import", { accountReference: "%2e" }],
  ] as const)("%s refuses malformed %j as BAD_CALLBACK", (api, query) => {
    expect(callbackGrant(api, query)).toEqual({ ok: false, code: "BAD_CALLBACK" });
  });

  it("postbox: a key sdk-core's parser cannot read is BAD_CALLBACK", () => {
    const damaged = PEM.replace("PUBLIC KEY-----\n", "PUBLIC KEY-----\nAAAA");
    const crossed = PEM.replace("END PUBLIC", "END RSA PUBLIC");
    for (const publicKey of [PEM_SHAPED, damaged, crossed]) {
      expect(callbackGrant("postbox", { postboxId: "pb", publicKey })).toEqual({
        ok: false,
        code: "BAD_CALLBACK",
      });
    }
  });
});
