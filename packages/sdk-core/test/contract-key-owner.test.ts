import vectors from "@digime-edge/fixtures/official-v8.json" with { type: "json" };
import { afterEach, describe, expect, it, vi } from "vitest";
import { contractKey, ownedContractKey } from "../src/crypto/input-keys.ts";
import { TypeValidationError } from "../src/errors.ts";
import { contractDetails } from "./support/fake-digime.ts";
import { sdkFor, useFakeDigime, writeOptionsFor } from "./support/use-fake-digime.ts";

const { contract, postbox } = vectors.keys;
const details = (privateKey: string) => ({
  contractId: "c-1",
  privateKey,
  redirectUri: "https://a.example/r",
});
const BAD_PEM = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----";

/** Counts the SHA-256 digests (the key cache's lookup of a private key) made from here on. */
function countDigests() {
  return vi.spyOn(crypto.subtle, "digest");
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("ownedContractKey remembers the key of the caller's contractDetails object", () => {
  it("finds it again without a digest, as the same CryptoKey the cache holds", async () => {
    const owner = details(contract.privatePkcs1);
    const first = await ownedContractKey({ ...owner }, owner);
    const digests = countDigests();
    expect(await ownedContractKey({ ...owner }, owner)).toBe(first);
    expect(digests).not.toHaveBeenCalled();
    // Another object with the same PEM: the cache's lookup (one digest), the same key.
    expect(await ownedContractKey({ ...owner }, { ...owner })).toBe(first);
    expect(digests).toHaveBeenCalledTimes(1);
  });

  it("imports afresh once the object's privateKey changed", async () => {
    const owner = details(contract.privatePkcs1);
    const first = await ownedContractKey({ ...owner }, owner);
    owner.privateKey = postbox.privatePkcs1;
    const second = await ownedContractKey({ ...owner }, owner);
    expect(second).not.toBe(first);
    expect(second.algorithm).toMatchObject({ name: "RSA-PSS", hash: { name: "SHA-512" } });
    expect(await ownedContractKey({ ...owner }, owner)).toBe(second);
  });

  it("keeps no failure: a key that did not import is tried again, and a fixed one works", async () => {
    const owner = details(BAD_PEM);
    await expect(ownedContractKey({ ...owner }, owner)).rejects.toBeInstanceOf(TypeValidationError);
    const digests = countDigests();
    await expect(ownedContractKey({ ...owner }, owner)).rejects.toMatchObject({ code: "KEY_IMPORT" });
    expect(digests).toHaveBeenCalledTimes(1); // looked up again, not returned from memory
    owner.privateKey = contract.privatePkcs8;
    await expect(ownedContractKey({ ...owner }, owner)).resolves.toMatchObject({ type: "private" });
  });

  it("contractKey (no owner) looks the key up in the cache every time", async () => {
    const copy = details(contract.privatePkcs1);
    await contractKey(copy);
    const digests = countDigests();
    await contractKey(copy);
    expect(digests).toHaveBeenCalledTimes(1);
  });
});

describe("write finds the contract key by the caller's object", () => {
  const fake = useFakeDigime();
  const descriptor = { mimeType: "application/octet-stream", accounts: [{ accountId: "acc-1" }] };

  it("a second write with the same contractDetails makes no digest, and is delivered", async () => {
    const sdk = sdkFor(fake);
    await sdk.write(writeOptionsFor(fake, new Uint8Array([1, 2, 3]), descriptor));
    const digests = countDigests();
    const result = await sdk.write(writeOptionsFor(fake, new Uint8Array([4, 5, 6]), descriptor));
    expect(result.status).toBe("delivered");
    expect(digests).not.toHaveBeenCalled();
    expect(fake.files.map((f) => [...f.data])).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it("a write with a fresh copy of contractDetails looks the key up (one digest)", async () => {
    const sdk = sdkFor(fake);
    await sdk.write(writeOptionsFor(fake, new Uint8Array([7]), descriptor));
    const digests = countDigests();
    const options = {
      ...writeOptionsFor(fake, new Uint8Array([8]), descriptor),
      contractDetails: { ...contractDetails },
    };
    expect((await sdk.write(options)).status).toBe("delivered");
    expect(digests).toHaveBeenCalledTimes(1);
  });
});
