import { createPrivateKey, createPublicKey } from "node:crypto";
// Known answers made with the official SDK's own libraries (see `@digime-edge/fixtures`).
import v from "@digime-edge/fixtures/official-v8.json" with { type: "json" };
import { jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { createFileDecipher, decryptMetadata, parseIv, unwrapSymmetricalKey } from "../src/envelope.ts";
import { decodeJwt, signPs512, verifyPs512 } from "../src/jwt.ts";

describe("official v8 vectors", () => {
  it("verifies the official write request JWT with the contract key (PKCS#1 and SPKI)", () => {
    const jwt = decodeJwt(v.writeRequestJwt.token);
    expect(jwt.payload).toEqual(v.writeRequestJwt.payload);
    expect(verifyPs512(jwt, createPublicKey(v.keys.contract.publicPkcs1))).toBe(true);
    expect(verifyPs512(jwt, createPublicKey(v.keys.contract.publicSpki))).toBe(true);
    expect(verifyPs512(jwt, createPublicKey(v.keys.postbox.publicSpki))).toBe(false);
    const tampered = { ...jwt, signingInput: `${jwt.signingInput}x` };
    expect(verifyPs512(tampered, createPublicKey(v.keys.contract.publicPkcs1))).toBe(false);
  });

  it("verifies the official response token with the key set's pem", () => {
    const jwt = decodeJwt(v.responseToken.token);
    expect(jwt.header).toMatchObject({ alg: "PS512", kid: "digime-vector-key" });
    expect(verifyPs512(jwt, createPublicKey(v.responseToken.keySet.keys[0]?.pem ?? ""))).toBe(true);
  });

  it("unwraps the official key wrap with the postbox private key (PKCS#1 and PKCS#8)", () => {
    for (const pem of [v.keys.postbox.privatePkcs1, v.keys.postbox.privatePkcs8]) {
      expect(unwrapSymmetricalKey(v.keyWrap.wrappedBase64, createPrivateKey(pem)).toString("hex")).toBe(
        v.envelope.keyHex,
      );
    }
    expect(() =>
      unwrapSymmetricalKey(v.keyWrap.wrappedBase64, createPrivateKey(v.keys.contract.privatePkcs1)),
    ).toThrow(/does not unwrap/);
  });

  it("decrypts the official metadata and files", () => {
    const key = Buffer.from(v.envelope.keyHex, "hex");
    const iv = parseIv(v.envelope.ivHex);
    expect(decryptMetadata(v.envelope.metadataBase64, key, iv)).toEqual(v.envelope.fileDescriptor);
    for (const file of v.envelope.files as { plainBase64: string; cipherBase64: string }[]) {
      const decipher = createFileDecipher(key, iv);
      const plain = Buffer.concat([
        decipher.update(Buffer.from(file.cipherBase64, "base64")),
        decipher.final(),
      ]);
      expect(plain.toString("base64")).toBe(file.plainBase64);
    }
  });

  it("signs tokens that jose verifies as PS512, with the header given", async () => {
    const key = createPrivateKey(v.keys.digime.privatePkcs1);
    const token = signPs512({ sub: "u" }, key, { kid: "k", jku: "https://x/jwks" });
    const { payload, protectedHeader } = await jwtVerify(token, createPublicKey(v.keys.digime.publicPkcs1));
    expect(payload).toEqual({ sub: "u" });
    expect(protectedHeader).toEqual({ alg: "PS512", typ: "JWT", kid: "k", jku: "https://x/jwks" });
  });

  it("refuses malformed tokens and non-PS512 algorithms", () => {
    expect(() => decodeJwt("a.b")).toThrow();
    expect(() => decodeJwt("e30.e30.!!")).toThrow();
    expect(() => decodeJwt(`${Buffer.from("[1]").toString("base64url")}.e30.`)).toThrow(/object/);
    const jwt = decodeJwt(v.writeRequestJwt.token);
    expect(
      verifyPs512({ ...jwt, header: { alg: "RS512" } }, createPublicKey(v.keys.contract.publicPkcs1)),
    ).toBe(false);
  });
});
