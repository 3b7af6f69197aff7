import { constants, createDecipheriv, generateKeyPairSync, privateDecrypt, randomBytes } from "node:crypto";
import vectors from "@digime-edge/fixtures/official-v8.json" with { type: "json" };
import { describe, expect, it } from "vitest";
import { encryptCbc } from "../src/crypto/cbc-stream.ts";
import { createEnvelope, createEnvelopeWithKeyMaterial } from "../src/crypto/envelope.ts";
import { importPostboxPublicKey } from "../src/crypto/keys.ts";
import { TypeValidationError } from "../src/errors.ts";
import * as publicApi from "../src/index.ts";
import * as internalApi from "../src/index-internal.ts";
import { concatBytes } from "../src/internal/bytes.ts";
import { encryptChunks } from "./support/streams.ts";

const { postbox } = vectors.keys;
const descriptor = {
  mimeType: "text/plain",
  accounts: [{ accountId: "account-ü-✓" }],
  reference: ["ref"],
  tags: ["tag", "日本語"],
};

function unwrap(privatePem: string, symmetricalKey: string): Buffer {
  const key = { key: privatePem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" };
  return privateDecrypt(key, Buffer.from(symmetricalKey, "base64"));
}

function decrypt(key: Buffer, iv: Uint8Array, data: Uint8Array): Buffer {
  const decipher = createDecipheriv("aes-256-cbc", key, iv);
  return Buffer.concat([decipher.update(data), decipher.final()]);
}

const big = generateKeyPairSync("rsa", { modulusLength: 4096 });
const keyPairs = [
  ["fixture PKCS#1", postbox.publicPkcs1, postbox.privatePkcs1],
  ["fixture SPKI", postbox.publicSpki, postbox.privatePkcs8],
  [
    "generated 4096-bit PKCS#1",
    big.publicKey.export({ type: "pkcs1", format: "pem" }) as string,
    big.privateKey.export({ type: "pkcs1", format: "pem" }) as string,
  ],
] as const;

describe("node:crypto opens our envelopes", () => {
  it.each(keyPairs)("%s: unwraps the key, decrypts metadata and file", async (_, publicPem, privatePem) => {
    const env = await createEnvelope({
      publicKey: await importPostboxPublicKey(publicPem),
      fileDescriptor: descriptor,
    });
    const key = unwrap(privatePem, env.symmetricalKey);
    expect(key).toHaveLength(32);
    expect(env.iv).toHaveLength(16);
    expect(env.ivHex).toMatch(/^[0-9a-f]{32}$/);
    expect(env.ivHex).toBe(Buffer.from(env.iv).toString("hex"));
    expect(env.metadata).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);

    const metadata = decrypt(key, env.iv, Buffer.from(env.metadata, "base64"));
    expect(metadata.toString("utf8")).toBe(JSON.stringify(descriptor));

    const file = randomBytes(300_001);
    const chunks = [file.subarray(0, 1), file.subarray(1, 70_000), file.subarray(70_000)];
    const streamed = concatBytes(...(await encryptChunks(env.aesKey, env.iv, chunks, 64 * 1024)));
    expect(decrypt(key, env.iv, streamed).equals(file)).toBe(true);
    expect(decrypt(key, env.iv, await encryptCbc(env.aesKey, env.iv, file)).equals(file)).toBe(true);
  });

  it("makes a fresh key and iv every time, and a non-extractable AES key", async () => {
    const publicKey = await importPostboxPublicKey(postbox.publicPkcs1);
    const [a, b] = await Promise.all([
      createEnvelope({ publicKey, fileDescriptor: descriptor }),
      createEnvelope({ publicKey, fileDescriptor: descriptor }),
    ]);
    expect(a.ivHex).not.toBe(b.ivHex);
    expect(unwrap(postbox.privatePkcs1, a.symmetricalKey)).not.toEqual(
      unwrap(postbox.privatePkcs1, b.symmetricalKey),
    );
    expect(a.aesKey.extractable).toBe(false);
    expect(a.aesKey.algorithm).toEqual({ name: "AES-CBC", length: 256 });
    expect(a.aesKey.usages).toEqual(["encrypt"]);
  });

  it("does not change the caller's keyMaterial", async () => {
    const key = new Uint8Array(32).fill(7);
    const iv = new Uint8Array(16).fill(9);
    const env = await createEnvelopeWithKeyMaterial({
      publicKey: await importPostboxPublicKey(postbox.publicPkcs1),
      fileDescriptor: descriptor,
      keyMaterial: { key, iv },
    });
    expect(key.every((b) => b === 7)).toBe(true);
    iv[0] = 0;
    expect(env.iv[0]).toBe(9);
    expect(unwrap(postbox.privatePkcs1, env.symmetricalKey).equals(Buffer.from(key))).toBe(true);
  });
});

describe("createEnvelope refuses", () => {
  it("a public key that is not RSA-OAEP SHA-1 (digi.me could not unwrap it)", async () => {
    const sha256 = await crypto.subtle.importKey(
      "spki",
      Buffer.from(postbox.publicSpki.replace(/-----[^-]+-----|\s/g, ""), "base64"),
      { name: "RSA-OAEP", hash: "SHA-256" },
      true,
      ["encrypt"],
    );
    await expect(createEnvelope({ publicKey: sha256, fileDescriptor: descriptor })).rejects.toBeInstanceOf(
      TypeValidationError,
    );
    await expect(
      createEnvelope({ publicKey: undefined as unknown as CryptoKey, fileDescriptor: descriptor }),
    ).rejects.toBeInstanceOf(TypeValidationError);
  });

  it.each([
    ["undefined", undefined],
    ["a function", () => 1],
    ["a BigInt", { n: 1n }],
    [
      "a cycle",
      (() => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return o;
      })(),
    ],
  ])("a descriptor that is not JSON (%s)", async (_, fileDescriptor) => {
    const publicKey = await importPostboxPublicKey(postbox.publicPkcs1);
    await expect(createEnvelope({ publicKey, fileDescriptor })).rejects.toBeInstanceOf(TypeValidationError);
  });

  it.each([
    [31, 16],
    [32, 15],
    [16, 16],
  ])("keyMaterial of %i/%i bytes", async (keyLength, ivLength) => {
    const publicKey = await importPostboxPublicKey(postbox.publicPkcs1);
    const keyMaterial = { key: new Uint8Array(keyLength), iv: new Uint8Array(ivLength) };
    await expect(
      createEnvelopeWithKeyMaterial({ publicKey, fileDescriptor: descriptor, keyMaterial }),
    ).rejects.toBeInstanceOf(TypeValidationError);
  });

  it("keyMaterial at all: it is a test hook, taken only by the ./internal subpath's function", async () => {
    const publicKey = await importPostboxPublicKey(postbox.publicPkcs1);
    const keyMaterial = { key: new Uint8Array(32), iv: new Uint8Array(16) };
    const options = { publicKey, fileDescriptor: descriptor, keyMaterial };
    const error = await createEnvelope(options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeValidationError);
    expect((error as TypeValidationError).issues.map((i) => i.path)).toEqual([["keyMaterial"]]);
    await expect(createEnvelopeWithKeyMaterial(options)).resolves.toMatchObject({ ivHex: "0".repeat(32) });
  });
});

describe("the ./internal subpath (unstable test hooks)", () => {
  it("exports createEnvelopeWithKeyMaterial, which the root export does not", () => {
    expect(internalApi.createEnvelopeWithKeyMaterial).toBe(createEnvelopeWithKeyMaterial);
    expect(Object.keys(publicApi)).not.toContain("createEnvelopeWithKeyMaterial");
    expect(publicApi.createEnvelope).toBe(createEnvelope);
  });
});
