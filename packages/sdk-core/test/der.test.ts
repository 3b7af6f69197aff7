import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import { promisify } from "node:util";
import vectors from "@digime-edge/fixtures/official-v8.json" with { type: "json" };
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { parsePem, toPem } from "../src/crypto/pem.ts";
import { TypeValidationError } from "../src/errors.ts";
import { concatBytes } from "../src/internal/bytes.ts";
import {
  encodeLength,
  encodeTlv,
  readChildren,
  readTlv,
  rsaModulusBytes,
  wrapPkcs1PrivateKey,
  wrapPkcs1PublicKey,
} from "../src/internal/der.ts";

interface Pair {
  name: string;
  bits: number;
  publicKey: KeyObject;
  privateKey: KeyObject;
}

const pairs: Pair[] = [];
const der = (key: KeyObject, type: "pkcs1" | "pkcs8" | "spki") =>
  new Uint8Array(key.export({ type, format: "der" } as never) as Buffer);

beforeAll(async () => {
  const generate = promisify(generateKeyPair);
  const specs = [
    [2048, 65537],
    [2048, 3],
    [3072, 65537],
    [4096, 65537],
    [1024, 65537],
  ] as const;
  const made = await Promise.all(
    specs.map(([bits, publicExponent]) => generate("rsa", { modulusLength: bits, publicExponent })),
  );
  made.forEach((pair, i) => {
    const [bits, e] = specs[i] as (typeof specs)[number];
    pairs.push({ name: `${bits}-bit e=${e}`, bits, ...pair });
  });
  for (const [name, keys] of Object.entries(vectors.keys)) {
    pairs.push({
      name: `fixture ${name}`,
      bits: 2048,
      publicKey: createPublicKey(keys.publicPkcs1),
      privateKey: createPrivateKey(keys.privatePkcs1),
    });
  }
}, 60_000);

function refused(fn: () => unknown): TypeValidationError {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(TypeValidationError);
  expect((error as TypeValidationError).code).toBe("KEY_IMPORT");
  return error as TypeValidationError;
}

describe("PKCS#1 wrapping equals node:crypto's own encoding", () => {
  it("wrapPkcs1PrivateKey(pkcs1) equals the PKCS#8 export, for every key", () => {
    expect(pairs.length).toBe(8);
    for (const { privateKey } of pairs) {
      expect(wrapPkcs1PrivateKey(der(privateKey, "pkcs1"))).toEqual(der(privateKey, "pkcs8"));
    }
  });

  it("wrapPkcs1PublicKey(pkcs1) equals the SPKI export, for every key", () => {
    for (const { publicKey } of pairs) {
      expect(wrapPkcs1PublicKey(der(publicKey, "pkcs1"))).toEqual(der(publicKey, "spki"));
    }
  });

  it("rsaModulusBytes reads bits/8 from SPKI and PKCS#1", () => {
    for (const { publicKey, bits } of pairs) {
      expect(rsaModulusBytes(der(publicKey, "spki"))).toBe(bits / 8);
      expect(rsaModulusBytes(der(publicKey, "pkcs1"))).toBe(bits / 8);
    }
  });

  it("toPem(label, der) equals node:crypto's PEM, and parsePem inverts it", () => {
    for (const { publicKey, privateKey } of pairs) {
      for (const [key, type, label] of [
        [publicKey, "pkcs1", "RSA PUBLIC KEY"],
        [publicKey, "spki", "PUBLIC KEY"],
        [privateKey, "pkcs1", "RSA PRIVATE KEY"],
        [privateKey, "pkcs8", "PRIVATE KEY"],
      ] as const) {
        const pem = key.export({ type, format: "pem" } as never) as string;
        expect(toPem(label, der(key, type))).toBe(pem);
        expect(parsePem(pem)).toEqual({ label, der: der(key, type) });
      }
    }
  });

  it("the fixture's PEM forms are each other's wrapping", () => {
    for (const keys of Object.values(vectors.keys)) {
      expect(wrapPkcs1PublicKey(parsePem(keys.publicPkcs1).der)).toEqual(parsePem(keys.publicSpki).der);
      expect(wrapPkcs1PrivateKey(parsePem(keys.privatePkcs1).der)).toEqual(parsePem(keys.privatePkcs8).der);
    }
  });
});

describe("TLV encoding", () => {
  it("encodeTlv and readTlv round trip, with minimal lengths (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xfe }).filter((t) => (t & 0x1f) !== 0x1f),
        fc.oneof(
          fc.integer({ min: 0, max: 300 }),
          fc.constantFrom(127, 128, 255, 256, 65_535, 65_536, 70_000),
        ),
        fc.uint8Array({ maxLength: 8 }),
        (tag, length, trailer) => {
          const content = new Uint8Array(length).fill(0x5a);
          const tlv = encodeTlv(tag, content);
          const headerLength = length < 0x80 ? 2 : length < 0x100 ? 3 : length < 0x10000 ? 4 : 5;
          expect(tlv.length).toBe(headerLength + length);
          const withTrailer = concatBytes(tlv, trailer);
          expect(readTlv(withTrailer)).toEqual({
            tag,
            contentStart: headerLength,
            end: tlv.length,
          });
        },
      ),
    );
  });

  it("encodeLength writes the shortest form", () => {
    expect([...encodeLength(0)]).toEqual([0]);
    expect([...encodeLength(127)]).toEqual([127]);
    expect([...encodeLength(128)]).toEqual([0x81, 0x80]);
    expect([...encodeLength(256)]).toEqual([0x82, 1, 0]);
    expect([...encodeLength(0x1000000)]).toEqual([0x84, 1, 0, 0, 0]);
    expect(() => encodeLength(-1)).toThrow(RangeError);
  });

  it("readChildren lists a SEQUENCE's items", () => {
    const seq = encodeTlv(0x30, encodeTlv(0x02, new Uint8Array([5])), encodeTlv(0x05));
    expect(readChildren(seq, readTlv(seq)).map((c) => c.tag)).toEqual([0x02, 0x05]);
  });

  it.each([
    ["empty", []],
    ["one byte", [0x30]],
    ["indefinite length", [0x30, 0x80, 0, 0]],
    ["non-minimal short length in long form", [0x04, 0x81, 0x05, 1, 2, 3, 4, 5]],
    ["long form with a leading zero", [0x04, 0x82, 0x00, 0x80, ...new Array(128).fill(0)]],
    ["length of five octets", [0x04, 0x85, 1, 0, 0, 0, 0]],
    ["length beyond the input", [0x04, 0x05, 1, 2]],
    ["truncated long length", [0x04, 0x82, 0x01]],
    ["multi-byte tag", [0x1f, 0x81, 0x00, 0x00]],
  ])("refuses %s", (_, bytes) => {
    refused(() => readTlv(new Uint8Array(bytes)));
  });
});

describe("malformed keys are refused with TypeValidationError (KEY_IMPORT)", () => {
  const fixture = vectors.keys.contract;
  const pkcs1Private = () => parsePem(fixture.privatePkcs1).der;
  const pkcs1Public = () => parsePem(fixture.publicPkcs1).der;
  const spki = () => parsePem(fixture.publicSpki).der;

  it("every truncation of a PKCS#1 key", () => {
    const priv = pkcs1Private();
    const pub = pkcs1Public();
    for (let n = 0; n < priv.length; n += 7) refused(() => wrapPkcs1PrivateKey(priv.subarray(0, n)));
    for (let n = 0; n < pub.length; n++) {
      refused(() => wrapPkcs1PublicKey(pub.subarray(0, n)));
      refused(() => rsaModulusBytes(pub.subarray(0, n)));
    }
  });

  it("trailing bytes after the key", () => {
    refused(() => wrapPkcs1PrivateKey(concatBytes(pkcs1Private(), new Uint8Array([0]))));
    refused(() => wrapPkcs1PublicKey(concatBytes(pkcs1Public(), new Uint8Array([0]))));
    refused(() => rsaModulusBytes(concatBytes(spki(), new Uint8Array([0]))));
  });

  it("the wrong kind of key", () => {
    refused(() => wrapPkcs1PrivateKey(pkcs1Public()));
    refused(() => wrapPkcs1PublicKey(pkcs1Private()));
    refused(() => wrapPkcs1PublicKey(spki()));
    refused(() => wrapPkcs1PrivateKey(parsePem(fixture.privatePkcs8).der));
    refused(() => rsaModulusBytes(pkcs1Private()));
    refused(() => rsaModulusBytes(parsePem(fixture.privatePkcs8).der));
  });

  it("non-RSA SPKI (EC, Ed25519)", () => {
    for (const type of ["ec", "ed25519"] as const) {
      const { publicKey } =
        type === "ec" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("ed25519");
      refused(() => rsaModulusBytes(der(publicKey, "spki")));
    }
  });

  it("a negative, zero or non-minimal modulus", () => {
    const e = encodeTlv(0x02, new Uint8Array([1, 0, 1]));
    for (const n of [[0x80, 1], [0], [0, 0x7f], []]) {
      refused(() => wrapPkcs1PublicKey(encodeTlv(0x30, encodeTlv(0x02, new Uint8Array(n)), e)));
    }
    expect(rsaModulusBytes(encodeTlv(0x30, encodeTlv(0x02, new Uint8Array([0, 0x80, 1])), e))).toBe(2);
    // An even modulus, or a public exponent of 0, 1 or an even number, is no RSA key.
    refused(() => wrapPkcs1PublicKey(encodeTlv(0x30, encodeTlv(0x02, new Uint8Array([0x7f, 2])), e)));
    const n = encodeTlv(0x02, new Uint8Array([0x7f, 3]));
    for (const bad of [[0], [1], [2], [1, 0], [0, 1]]) {
      refused(() => rsaModulusBytes(encodeTlv(0x30, n, encodeTlv(0x02, new Uint8Array(bad)))));
    }
    expect(rsaModulusBytes(encodeTlv(0x30, n, encodeTlv(0x02, new Uint8Array([3]))))).toBe(2);
  });

  it("random bytes and random corruptions only ever give TypeValidationError (fast-check)", () => {
    const pub = pkcs1Public();
    const key = spki();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }),
          fc.tuple(fc.nat(key.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
            const copy = new Uint8Array(key);
            copy[i] = (copy[i] as number) ^ x;
            return copy;
          }),
        ),
        (bytes) => {
          for (const fn of [wrapPkcs1PublicKey, wrapPkcs1PrivateKey, rsaModulusBytes]) {
            try {
              fn(bytes);
            } catch (error) {
              expect(error).toBeInstanceOf(TypeValidationError);
              expect((error as Error).message).not.toMatch(/[0-9a-f]{16}/i);
            }
          }
          expect(rsaModulusBytes(pub)).toBe(256);
        },
      ),
      { numRuns: 500 },
    );
  });
});
