/**
 * The postbox keys a sign-in's redirect may carry are exactly those sdk-core imports to seal with:
 * one the Worker stored and sdk-core could not read would fail every sealed write of the session.
 * node:crypto makes the keys; sdk-core's `importPostboxPublicKey`, built for Node, is the oracle.
 */
import { generateKeyPairSync } from "node:crypto";
import { importPostboxPublicKey, TypeValidationError } from "@digime-edge/sdk-core";
import { describe, expect, it } from "vitest";
import { callbackGrant } from "../../src/lib/callback-grant.ts";

const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const spki = publicKey.export({ type: "spki", format: "pem" }).toString();
const pkcs1 = publicKey.export({ type: "pkcs1", format: "pem" }).toString();
const ecKey = generateKeyPairSync("ec", { namedCurve: "P-256" })
  .publicKey.export({ type: "spki", format: "pem" })
  .toString();
const body = (pem: string) => pem.split("\n").slice(1, -2);

/** Whether sdk-core imports `pem` as a postbox key; a refusal must be its typed one. */
async function sdkCoreTakes(pem: string): Promise<boolean> {
  try {
    await importPostboxPublicKey(pem);
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(TypeValidationError);
    return false;
  }
}

const workerTakes = (pem: string) => callbackGrant("postbox", { postboxId: "pb-1", publicKey: pem }).ok;

describe("postbox keys: the Worker takes what sdk-core imports", () => {
  const cases: [string, string, boolean][] = [
    ["an SPKI key", spki, true],
    ["a PKCS#1 key", pkcs1, true],
    ["an SPKI key with CRLF line ends", spki.replace(/\n/g, "\r\n"), true],
    // The shape of a PEM public key, nothing that parses inside.
    [
      "PEM-shaped garbage",
      "-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEAx\n-----END RSA PUBLIC KEY-----\n",
      false,
    ],
    [
      "a key with a line left out",
      [spki.split("\n")[0], ...body(spki).slice(1), "-----END PUBLIC KEY-----"].join("\n"),
      false,
    ],
    ["a key with its labels crossed", spki.replace("END PUBLIC", "END RSA PUBLIC"), false],
    ["an SPKI body labelled PKCS#1", spki.replace(/PUBLIC KEY/g, "RSA PUBLIC KEY"), false],
    ["an EC key", ecKey, false],
    ["a private key's label", spki.replace(/PUBLIC KEY/g, "PRIVATE KEY"), false],
  ];

  it.each(cases.map(([name, pem, taken]) => ({ name, pem, taken })))(
    "$name: taken $taken by both",
    async ({ pem, taken }) => {
      expect(await sdkCoreTakes(pem)).toBe(taken);
      expect(workerTakes(pem)).toBe(taken);
    },
  );

  it("a refused key is BAD_CALLBACK", () => {
    expect(callbackGrant("postbox", { publicKey: ecKey })).toEqual({ ok: false, code: "BAD_CALLBACK" });
  });
});
