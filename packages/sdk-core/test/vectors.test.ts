import { constants, createPublicKey, privateDecrypt, verify } from "node:crypto";
import vectors from "@digime-edge/fixtures/official-v8.json" with { type: "json" };
import { describe, expect, it } from "vitest";
import { encryptCbc } from "../src/crypto/cbc-stream.ts";
import { createEnvelopeWithKeyMaterial } from "../src/crypto/envelope.ts";
import { decodeJwt, signJwt, verifyJwt } from "../src/crypto/jws.ts";
import {
  importContractPrivateKey,
  importPostboxPublicKey,
  importVerificationKey,
} from "../src/crypto/keys.ts";
import { codeChallengeS256 } from "../src/crypto/pkce.ts";
import { decodeBase64, encodeBase64 } from "../src/internal/base64.ts";
import { concatBytes, fromHex, toHex } from "../src/internal/bytes.ts";
import { encryptChunks } from "./support/streams.ts";

const { keys, envelope, keyWrap, writeRequestJwt, responseToken, pkce } = vectors;
const keyMaterial = { key: fromHex(envelope.keyHex), iv: fromHex(envelope.ivHex) };

/** The envelope of the vectors' descriptor for the postbox key `pem`, with the vectors' key and iv. */
async function knownEnvelope(pem: string) {
  const publicKey = await importPostboxPublicKey(pem);
  return createEnvelopeWithKeyMaterial({ publicKey, fileDescriptor: envelope.fileDescriptor, keyMaterial });
}

async function streamEncrypt(
  key: CryptoKey,
  iv: Uint8Array,
  data: Uint8Array,
  cut: number,
  chunkSize?: number,
) {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += cut) chunks.push(data.slice(i, i + cut));
  return concatBytes(...(await encryptChunks(key, iv, chunks, chunkSize)));
}

describe("known-answer envelope (official SDK v8)", () => {
  it.each([
    ["PKCS#1", keys.postbox.publicPkcs1],
    ["SPKI", keys.postbox.publicSpki],
  ])("reproduces metadataBase64 and ivHex with the %s postbox key", async (_, pem) => {
    const env = await knownEnvelope(pem);
    expect(env.metadata).toBe(envelope.metadataBase64);
    expect(env.ivHex).toBe(envelope.ivHex);
    expect(toHex(env.iv)).toBe(envelope.ivHex);
  });

  it.each(envelope.files.map((file, i) => [i, file.plainBase64.length, file] as const))(
    "reproduces files[%i] (%i base64 chars) one-shot and streamed",
    async (_, __, file) => {
      const env = await knownEnvelope(keys.postbox.publicPkcs1);
      const plain = decodeBase64(file.plainBase64);
      expect(encodeBase64(await encryptCbc(env.aesKey, env.iv, plain))).toBe(file.cipherBase64);
      for (const [cut, chunkSize] of [
        [plain.length || 1, undefined],
        [1, 16],
        [7, 48],
        [4096, 1024],
      ] as const) {
        expect(encodeBase64(await streamEncrypt(env.aesKey, env.iv, plain, cut, chunkSize))).toBe(
          file.cipherBase64,
        );
      }
    },
  );
});

describe("known-answer key wrap", () => {
  const unwrap = (wrapped: Uint8Array) =>
    privateDecrypt(
      { key: keys.postbox.privatePkcs1, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" },
      wrapped,
    );

  it("keyWrap.wrappedBase64 decrypts to keyHex (node:crypto, OAEP SHA-1)", () => {
    expect(unwrap(decodeBase64(keyWrap.wrappedBase64)).toString("hex")).toBe(envelope.keyHex);
  });

  it.each([
    ["PKCS#1", keys.postbox.publicPkcs1],
    ["SPKI", keys.postbox.publicSpki],
  ])("our wrap with the %s key decrypts to the same key", async (_, pem) => {
    const env = await knownEnvelope(pem);
    expect(env.symmetricalKey).not.toBe(keyWrap.wrappedBase64); // OAEP is randomized
    expect(decodeBase64(env.symmetricalKey)).toHaveLength(256);
    expect(unwrap(decodeBase64(env.symmetricalKey)).toString("hex")).toBe(envelope.keyHex);
  });
});

describe("known-answer request JWT (jsonwebtoken 9, PS512)", () => {
  it.each([
    ["PKCS#1", keys.contract.publicPkcs1],
    ["SPKI", keys.contract.publicSpki],
  ])("verifies with the %s contract public key and gives the payload", async (_, pem) => {
    const key = await importVerificationKey({ pem });
    const { header, payload } = await verifyJwt(writeRequestJwt.token, async () => key);
    expect(header).toEqual({ alg: "PS512", typ: "JWT" });
    expect(payload).toEqual(writeRequestJwt.payload);
  });

  it("matches the envelope vector: same iv, metadata and wrapped key", () => {
    expect(writeRequestJwt.payload.iv).toBe(envelope.ivHex);
    expect(writeRequestJwt.payload.metadata).toBe(envelope.metadataBase64);
    expect(writeRequestJwt.payload.symmetrical_key).toBe(keyWrap.wrappedBase64);
  });

  it("has the header bytes our signer writes", async () => {
    const ours = await signJwt({ a: 1 }, await importContractPrivateKey(keys.contract.privatePkcs1));
    expect(ours.split(".")[0]).toBe(writeRequestJwt.token.split(".")[0]);
  });

  it("does not verify with another key", async () => {
    const key = await importVerificationKey({ pem: keys.digime.publicSpki });
    await expect(verifyJwt(writeRequestJwt.token, async () => key)).rejects.toMatchObject({
      code: "TOKEN_VERIFICATION",
    });
  });
});

describe("known-answer response token", () => {
  const kid = decodeJwt(responseToken.token).header.kid;

  it.each([
    ["keySet (pem)", () => responseToken.keySet.keys],
    ["keySetJwk", () => responseToken.keySetJwk.keys],
  ] as const)("verifies with %s", async (_, entries) => {
    const seen: unknown[] = [];
    const { header, payload } = await verifyJwt(responseToken.token, async (h) => {
      seen.push(h);
      const entry = entries().find((k) => k.kid === h.kid);
      if (!entry) throw new Error("no key");
      return importVerificationKey(
        "pem" in entry ? { pem: entry.pem } : { kty: "RSA", n: entry.n, e: entry.e },
      );
    });
    expect(kid).toBe("digime-vector-key");
    expect(header.jku).toBe("https://api.digi.me/v1.7/jwks/oauth");
    expect(seen).toEqual([header]);
    expect(payload).toEqual(responseToken.payload);
  });
});

describe("known-answer PKCE", () => {
  it("reproduces the code challenge", async () => {
    expect(await codeChallengeS256(pkce.codeVerifier)).toBe(pkce.codeChallenge);
  });
});

describe("fixture private keys", () => {
  const forms = (["contract", "postbox", "digime"] as const).flatMap((name) =>
    (["privatePkcs1", "privatePkcs8"] as const).map((form) => [name, form] as const),
  );

  it.each(forms)("%s %s imports and signs what node:crypto verifies", async (name, form) => {
    const token = await signJwt({ name, form }, await importContractPrivateKey(keys[name][form]));
    const [h, p, s] = token.split(".") as [string, string, string];
    const ok = verify(
      "sha512",
      Buffer.from(`${h}.${p}`),
      {
        key: createPublicKey(keys[name].publicPkcs1),
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 64,
      },
      Buffer.from(s, "base64url"),
    );
    expect(ok).toBe(true);
  });
});
