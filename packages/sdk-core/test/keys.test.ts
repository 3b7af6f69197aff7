import { generateKeyPairSync } from "node:crypto";
import vectors from "@digime-edge/fixtures/official-v8.json" with { type: "json" };
import { describe, expect, it, vi } from "vitest";
import {
  importContractPrivateKey,
  importPostboxPublicKey,
  importVerificationKey,
  postboxKeyModulusBytes,
} from "../src/crypto/keys.ts";
import { TypeValidationError } from "../src/errors.ts";
import * as publicApi from "../src/index.ts";

const { contract, postbox, digime } = vectors.keys;
const jwk = vectors.responseToken.keySetJwk.keys[0] as { kty: "RSA"; n: string; e: string };
/** An EC (P-256) key pair, which neither a contract nor a postbox may use. */
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });

/** Every 12-character window of every PEM body line: none may appear in an error. */
function secretsOf(pem: string): string[] {
  const body = pem.split("\n").filter((line) => line && !line.startsWith("-----"));
  const joined = body.join("");
  const windows: string[] = [];
  for (let i = 0; i + 12 <= joined.length; i += 6) windows.push(joined.slice(i, i + 12));
  return windows;
}

async function refusedWithoutLeak(promise: Promise<unknown>, pem?: string) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TypeValidationError);
  expect((error as TypeValidationError).code).toBe("KEY_IMPORT");
  if (pem) {
    let text = "";
    for (let e: unknown = error; e instanceof Error; e = e.cause) text += `${String(e)} ${e.stack} `;
    text += JSON.stringify(error);
    for (const secret of secretsOf(pem)) expect(text).not.toContain(secret);
  }
  return error as TypeValidationError;
}

describe("importing every form", () => {
  it.each([
    ["PKCS#1", contract.privatePkcs1],
    ["PKCS#8", contract.privatePkcs8],
  ])("contract private key, %s: RSA-PSS SHA-512, sign, not extractable", async (_, pem) => {
    const key = await importContractPrivateKey(pem);
    expect(key.type).toBe("private");
    expect(key.extractable).toBe(false);
    expect(key.usages).toEqual(["sign"]);
    expect(key.algorithm).toMatchObject({ name: "RSA-PSS", hash: { name: "SHA-512" }, modulusLength: 2048 });
  });

  it.each([
    ["PKCS#1", postbox.publicPkcs1],
    ["SPKI", postbox.publicSpki],
  ])("postbox public key, %s: RSA-OAEP SHA-1, encrypt", async (_, pem) => {
    const key = await importPostboxPublicKey(pem);
    expect(key.type).toBe("public");
    expect(key.usages).toEqual(["encrypt"]);
    expect(key.algorithm).toMatchObject({ name: "RSA-OAEP", hash: { name: "SHA-1" }, modulusLength: 2048 });
  });

  it.each([
    ["PEM PKCS#1", { pem: digime.publicPkcs1 }],
    ["PEM SPKI", { pem: digime.publicSpki }],
    ["JWK", jwk],
  ])("verification key, %s: RSA-PSS SHA-512, verify", async (_, input) => {
    const key = await importVerificationKey(input);
    expect(key.type).toBe("public");
    expect(key.usages).toEqual(["verify"]);
    expect(key.algorithm).toMatchObject({ name: "RSA-PSS", hash: { name: "SHA-512" }, modulusLength: 2048 });
  });

  it("PEM from an env var: literal \\n escapes, CRLF, surrounding whitespace", async () => {
    const escaped = contract.privatePkcs1.trim().replaceAll("\n", "\\n");
    const crlf = `\r\n  ${postbox.publicPkcs1.replaceAll("\n", "\r\n")}  \r\n`;
    await expect(importContractPrivateKey(escaped)).resolves.toMatchObject({ type: "private" });
    await expect(importPostboxPublicKey(crlf)).resolves.toMatchObject({ type: "public" });
  });
});

describe("the key cache", () => {
  it("returns the same CryptoKey for the same input, also when asked concurrently", async () => {
    const [a, b] = await Promise.all([
      importContractPrivateKey(contract.privatePkcs8),
      importContractPrivateKey(contract.privatePkcs8),
    ]);
    expect(a).toBe(b);
    expect(await importContractPrivateKey(contract.privatePkcs8)).toBe(a);
    expect(await importPostboxPublicKey(postbox.publicSpki)).toBe(
      await importPostboxPublicKey(postbox.publicSpki),
    );
    expect(await importVerificationKey(jwk)).toBe(await importVerificationKey({ ...jwk }));
    expect(await importVerificationKey({ pem: digime.publicSpki })).toBe(
      await importVerificationKey({ pem: digime.publicSpki }),
    );
  });

  it("keeps each use apart: the same PEM gives different keys for different uses", async () => {
    const postboxKey = await importPostboxPublicKey(contract.publicSpki);
    const verificationKey = await importVerificationKey({ pem: contract.publicSpki });
    expect(postboxKey).not.toBe(verificationKey);
    expect(postboxKey.algorithm.name).toBe("RSA-OAEP");
    expect(verificationKey.algorithm.name).toBe("RSA-PSS");
  });

  it("is bounded (64 entries, least recently used out first)", async () => {
    // Distinct texts of one key are distinct entries: pad the PEM with a growing run of spaces.
    const variant = (i: number) => `${postbox.publicSpki}${" ".repeat(i)}`;
    const first = await importPostboxPublicKey(variant(1));
    const kept = await importPostboxPublicKey(variant(2));
    for (let i = 3; i <= 66; i++) {
      await importPostboxPublicKey(variant(i));
      if (i % 8 === 0) expect(await importPostboxPublicKey(variant(2))).toBe(kept); // recently used
    }
    expect(await importPostboxPublicKey(variant(2))).toBe(kept);
    expect(await importPostboxPublicKey(variant(1))).not.toBe(first);
  });

  it("does not cache failures", async () => {
    await refusedWithoutLeak(importPostboxPublicKey("nope"));
    await refusedWithoutLeak(importPostboxPublicKey("nope"));
    // An import that failed once (WebCrypto refused it) is tried again, and then kept.
    const pem = `${contract.privatePkcs8}\n\n`;
    const importKey = vi.spyOn(crypto.subtle, "importKey").mockRejectedValueOnce(new Error("busy"));
    try {
      await expect(importContractPrivateKey(pem)).rejects.toMatchObject({ code: "KEY_IMPORT" });
      const key = await importContractPrivateKey(pem);
      expect(await importContractPrivateKey(pem)).toBe(key);
      expect(importKey).toHaveBeenCalledTimes(2);
    } finally {
      importKey.mockRestore();
    }
  });

  it("adds no rejection handler to a cached import when it is found again", async () => {
    const key = await importPostboxPublicKey(postbox.publicPkcs1);
    const handlers = vi.spyOn(Promise.prototype, "catch");
    try {
      for (let i = 0; i < 3; i++) expect(await importPostboxPublicKey(postbox.publicPkcs1)).toBe(key);
      expect(handlers).not.toHaveBeenCalled();
    } finally {
      handlers.mockRestore();
    }
  });
});

describe("refusals never echo key material", () => {
  const body = (pem: string) => pem.split("\n").filter((l) => l && !l.startsWith("-----"));
  const truncated = (pem: string) => {
    const lines = pem.split("\n");
    return [...lines.slice(0, 8), lines.at(-2)].join("\n");
  };

  it.each([
    ["garbage", "not a key at all"],
    ["an empty string", ""],
    ["a public key as the contract key", contract.publicPkcs1],
    ["an SPKI key labelled PRIVATE KEY", contract.publicSpki.replaceAll("PUBLIC", "PRIVATE")],
    ["a PKCS#8 key labelled RSA PRIVATE KEY", contract.privatePkcs8.replaceAll("PRIVATE", "RSA PRIVATE")],
    ["a truncated PKCS#1 key", truncated(contract.privatePkcs1)],
    ["a truncated PKCS#8 key", truncated(contract.privatePkcs8)],
    ["mismatched labels", contract.privatePkcs1.replace("END RSA PRIVATE", "END PRIVATE")],
    ["a body that is not base64", contract.privatePkcs1.replace(/\n[A-Za-z]/, "\n*")],
    ["two keys", `${contract.privatePkcs1}\n${contract.privatePkcs1}`],
    [
      "an encrypted PEM",
      contract.privatePkcs1.replace(
        "KEY-----\n",
        "KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n",
      ),
    ],
    ["an EC key", ec.privateKey.export({ type: "pkcs8", format: "pem" }) as string],
  ])("contract private key: %s", async (_, pem) => {
    const error = await refusedWithoutLeak(importContractPrivateKey(pem), pem);
    expect(error.message).toMatch(/contract private key/);
  });

  it.each([
    ["a private key as the postbox key", contract.privatePkcs1],
    ["a truncated PKCS#1 key", truncated(postbox.publicPkcs1)],
    ["an SPKI body labelled RSA PUBLIC KEY", postbox.publicSpki.replaceAll("PUBLIC", "RSA PUBLIC")],
    ["a PKCS#1 body labelled PUBLIC KEY", postbox.publicPkcs1.replaceAll("RSA PUBLIC", "PUBLIC")],
    ["an EC key", ec.publicKey.export({ type: "spki", format: "pem" }) as string],
  ])("postbox public key: %s", async (_, pem) => {
    await refusedWithoutLeak(importPostboxPublicKey(pem), pem);
    await refusedWithoutLeak(importVerificationKey({ pem }), pem);
  });

  it("a JWK that is not an RSA public key", async () => {
    await refusedWithoutLeak(importVerificationKey({ ...jwk, kty: "EC" } as never));
    await refusedWithoutLeak(importVerificationKey({ ...jwk, n: "" }));
    await refusedWithoutLeak(importVerificationKey({ ...jwk, n: `${jwk.n}=` }));
    await refusedWithoutLeak(importVerificationKey({ ...jwk, n: 5 } as never));
    await refusedWithoutLeak(importVerificationKey(null as never));
    for (const e of ["AAAA", "AQ", "Ag", "AAE"]) {
      const error = await refusedWithoutLeak(importVerificationKey({ ...jwk, e }));
      expect(error.message).not.toContain(jwk.n.slice(0, 12));
    }
    await expect(importVerificationKey({ ...jwk, e: "Aw" })).resolves.toMatchObject({ type: "public" });
  });

  it("the test itself would notice a leak", () => {
    expect(secretsOf(contract.privatePkcs1).length).toBeGreaterThan(100);
    expect(body(contract.privatePkcs1).join("")).toContain(secretsOf(contract.privatePkcs1)[50]);
  });
});

describe("keys too small for their job are refused at import, not when used", () => {
  // PS512 with a 64-byte salt needs 1034 bits; OAEP SHA-1 around a 32-byte key needs 585.
  it.each([
    ["a 1024-bit contract key", 1024, () => importContractPrivateKeyOf(1024)],
    ["a 584-bit postbox key", 584, () => importPostboxPublicKeyOf(584)],
  ])("%s", async (_, bits, load) => {
    const error = await refusedWithoutLeak(load());
    expect(error.message).toContain(`${bits}-bit`);
  });

  it("the smallest keys that work are taken", async () => {
    await expect(importContractPrivateKeyOf(1034)).resolves.toBeDefined();
    await expect(importPostboxPublicKeyOf(585)).resolves.toBeDefined();
  });
});

function importContractPrivateKeyOf(modulusLength: number) {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength });
  return importContractPrivateKey(privateKey.export({ type: "pkcs1", format: "pem" }) as string);
}

function importPostboxPublicKeyOf(modulusLength: number) {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength });
  return importPostboxPublicKey(publicKey.export({ type: "spki", format: "pem" }) as string);
}

describe("postboxKeyModulusBytes", () => {
  it("is part of the public API (a relay checks a sealed envelope's wrapped key size with it)", () => {
    expect(publicApi.postboxKeyModulusBytes).toBe(postboxKeyModulusBytes);
  });

  it("is 256 for the 2048-bit fixture keys and bits/8 for others", () => {
    for (const keys of [contract, postbox, digime]) {
      expect(postboxKeyModulusBytes(keys.publicPkcs1)).toBe(256);
      expect(postboxKeyModulusBytes(keys.publicSpki)).toBe(256);
    }
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 3072 });
    expect(postboxKeyModulusBytes(publicKey.export({ type: "pkcs1", format: "pem" }) as string)).toBe(384);
    expect(postboxKeyModulusBytes(publicKey.export({ type: "spki", format: "pem" }) as string)).toBe(384);
  });

  it.each([
    ["garbage", "garbage"],
    ["a private key", postbox.privatePkcs1],
    [
      "a truncated key",
      postbox.publicSpki.split("\n").slice(0, 3).concat("-----END PUBLIC KEY-----").join("\n"),
    ],
  ])("refuses %s without echoing it", async (_, pem) => {
    await refusedWithoutLeak((async () => postboxKeyModulusBytes(pem))(), pem);
  });
});
