import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { codeChallengeS256, createCodeVerifier } from "../src/crypto/pkce.ts";
import { TypeValidationError } from "../src/errors.ts";

describe("PKCE", () => {
  it("makes 43-character base64url verifiers, each different", () => {
    const verifiers = Array.from({ length: 20 }, createCodeVerifier);
    for (const v of verifiers) expect(v).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(verifiers).size).toBe(20);
  });

  it("computes base64url(SHA-256(verifier)) as node:crypto does", async () => {
    for (const v of [createCodeVerifier(), "a".repeat(43), `${"~._-".repeat(32)}`]) {
      expect(await codeChallengeS256(v)).toBe(createHash("sha256").update(v, "ascii").digest("base64url"));
    }
  });

  it.each([
    ["too short", "a".repeat(42)],
    ["too long", "a".repeat(129)],
    ["a character outside the unreserved set", `${"a".repeat(42)}+`],
    ["non-ASCII", `${"a".repeat(42)}é`],
    ["not a string", 42],
  ])("refuses a verifier that is %s", async (_, v) => {
    await expect(codeChallengeS256(v as string)).rejects.toBeInstanceOf(TypeValidationError);
  });
});
