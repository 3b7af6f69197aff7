/**
 * The unstable `./internal` subpath: what it exports beyond the root (test hooks, and the checks
 * and codecs the edge Worker shares), that `isIvHex` is the iv rule of `sendSealed`'s schema and
 * `isAccountId` the account rule of `pushData`'s.
 */
import { describe, expect, it } from "vitest";
import * as publicApi from "../src/index.ts";
import * as internalApi from "../src/index-internal.ts";
import * as base64 from "../src/internal/base64.ts";
import { concatBytes } from "../src/internal/bytes.ts";
import { conforms } from "../src/internal/checks.ts";
import { isAccountId, isIvHex } from "../src/internal/fields.ts";
import { pushProviderOptionsSchema, sealedFileSchema } from "../src/schemas.ts";

describe("the ./internal subpath", () => {
  it("exports the shared checks and codecs, which the root export does not", () => {
    // Every export of the base64 module, isIvHex, isAccountId and concatBytes: the same functions.
    expect({ ...internalApi }).toMatchObject({ ...base64, isIvHex, isAccountId, concatBytes });
    for (const name of [...Object.keys(base64), "isIvHex", "isAccountId", "concatBytes"]) {
      expect(Object.keys(publicApi), name).not.toContain(name);
    }
  });
});

describe("isIvHex", () => {
  it("takes 32 lowercase hex characters and nothing else", () => {
    expect(isIvHex("0123456789abcdef0123456789abcdef")).toBe(true);
    for (const bad of [
      "",
      "0123456789ABCDEF0123456789abcdef",
      "0123456789abcdef0123456789abcde",
      "0123456789abcdef0123456789abcdef0",
      "0123456789abcdef0123456789abcdeg",
      " 0123456789abcdef0123456789abcde",
      "0123456789abcdef0123456789abcde\n",
    ]) {
      expect(isIvHex(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it("is the iv rule of a sealed file's schema", () => {
    const sealed = {
      iv: "00112233445566778899aabbccddeeff",
      symmetricalKey: "A".repeat(344),
      metadata: `${"A".repeat(22)}==`,
      body: new Uint8Array(16),
    };
    expect(conforms(sealedFileSchema(), sealed)).toBe(true);
    expect(conforms(sealedFileSchema(), { ...sealed, iv: sealed.iv.toUpperCase() })).toBe(false);
    expect(conforms(sealedFileSchema(), { ...sealed, metadata: "A".repeat(20) })).toBe(false);
    expect(conforms(sealedFileSchema(), { ...sealed, symmetricalKey: "A".repeat(343) })).toBe(false);
  });
});

describe("isAccountId", () => {
  const good = ["a", "acct-1", "a b", "~!", "x".repeat(300)];
  const bad = ["", " a", "a ", "a\tb", "a\nb", "a\x7f", "é", "a\x00"];

  it("takes visible ASCII with inner spaces, and nothing else", () => {
    for (const id of good) expect(isAccountId(id), JSON.stringify(id)).toBe(true);
    for (const id of bad) expect(isAccountId(id), JSON.stringify(id)).toBe(false);
  });

  it("is the accountId rule of pushData's provider schema", () => {
    const options = (accountId: string) => ({
      contractDetails: { contractId: "c", privateKey: "-----BEGIN PRIVATE KEY-----" },
      userAccessToken: { accessToken: { value: "a", expiry: 1 }, refreshToken: { value: "r", expiry: 1 } },
      data: {},
      standard: "fhir",
      version: "stu3",
      accountId,
    });
    expect(conforms(pushProviderOptionsSchema(), options("acct-1"))).toBe(true);
    for (const id of [...good, ...bad]) {
      expect(conforms(pushProviderOptionsSchema(), options(id)), JSON.stringify(id)).toBe(isAccountId(id));
    }
  });
});
