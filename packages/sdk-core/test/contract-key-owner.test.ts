import vectors from "@digime-edge/fixtures/official-v8.json" with { type: "json" };
import { afterEach, describe, expect, it, vi } from "vitest";
import { contractKey } from "../src/crypto/input-keys.ts";
import { TypeValidationError } from "../src/errors.ts";
import { contractDetails } from "./support/fake-digime.ts";
import { sdkFor, sealForPostbox, useFakeDigime, writeOptionsFor } from "./support/use-fake-digime.ts";

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

describe("contractKey remembers the key of the caller's contractDetails object", () => {
  it("finds it again without a digest, as the same CryptoKey the cache holds", async () => {
    const owner = details(contract.privatePkcs1);
    const first = await contractKey({ ...owner }, owner);
    const digests = countDigests();
    expect(await contractKey({ ...owner }, owner)).toBe(first);
    expect(digests).not.toHaveBeenCalled();
    // Another object with the same PEM: the cache's lookup (one digest), the same key.
    expect(await contractKey({ ...owner }, { ...owner })).toBe(first);
    expect(digests).toHaveBeenCalledTimes(1);
  });

  it("imports afresh once the object's privateKey changed", async () => {
    const owner = details(contract.privatePkcs1);
    const first = await contractKey({ ...owner }, owner);
    owner.privateKey = postbox.privatePkcs1;
    const second = await contractKey({ ...owner }, owner);
    expect(second).not.toBe(first);
    expect(second.algorithm).toMatchObject({ name: "RSA-PSS", hash: { name: "SHA-512" } });
    expect(await contractKey({ ...owner }, owner)).toBe(second);
  });

  it("keeps no failure: a key that did not import is tried again, and a fixed one works", async () => {
    const owner = details(BAD_PEM);
    await expect(contractKey({ ...owner }, owner)).rejects.toBeInstanceOf(TypeValidationError);
    const digests = countDigests();
    await expect(contractKey({ ...owner }, owner)).rejects.toMatchObject({ code: "KEY_IMPORT" });
    expect(digests).toHaveBeenCalledTimes(1); // looked up again, not returned from memory
    owner.privateKey = contract.privatePkcs8;
    await expect(contractKey({ ...owner }, owner)).resolves.toMatchObject({ type: "private" });
  });

  it("remembers it by the checked copy too: a refresh within the call makes no digest", async () => {
    const owner = details(contract.privatePkcs1);
    const copy = { ...owner };
    const first = await contractKey(copy, owner);
    const digests = countDigests();
    expect(await contractKey(copy)).toBe(first);
    expect(digests).not.toHaveBeenCalled();
    // A fresh copy with no owner: the cache's lookup (one digest).
    expect(await contractKey({ ...owner })).toBe(first);
    expect(digests).toHaveBeenCalledTimes(1);
  });
});

describe("contractKey found again", () => {
  it("adds no handler to the key, and remembers the new checked copy at once", async () => {
    const owner = details(contract.privatePkcs1);
    const first = contractKey({ ...owner }, owner);
    await first;
    const copy = { ...owner };
    // Counted by hand: a spy on `then` would call `then` on what it returns. `catch` calls `then`.
    const { then } = Promise.prototype;
    let handlers = 0;
    let found: Promise<CryptoKey>[];
    // biome-ignore lint/suspicious/noThenProperty: the real then, counted for this test only
    Promise.prototype.then = function (this: Promise<unknown>, ...args) {
      handlers++;
      return then.apply(this, args);
    } as typeof then;
    try {
      // Synchronously: by the owner, then by the copy alone (remembered by the call before).
      found = [contractKey(copy, owner), contractKey(copy)];
    } finally {
      // biome-ignore lint/suspicious/noThenProperty: the real then, given back
      Promise.prototype.then = then;
    }
    expect(handlers).toBe(0);
    expect(found[0]).toBe(first);
    expect(found[1]).toBe(first);
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

describe("pushData and the token calls find the contract key by the caller's object", () => {
  const fake = useFakeDigime();
  const descriptor = { mimeType: "text/plain", accounts: [{ accountId: "acc-1" }] };
  const library = (owner: object, fileData: Uint8Array) => ({
    type: "library" as const,
    contractDetails: owner as typeof contractDetails,
    userAccessToken: fake.issueTokens(),
    data: { fileData, fileDescriptor: descriptor },
  });
  const provider = (owner: object) => ({
    type: "provider" as const,
    contractDetails: owner as typeof contractDetails,
    userAccessToken: fake.issueTokens(),
    data: { resourceType: "Bundle" },
    standard: "fhir" as const,
    version: "stu3" as const,
    accountId: "acc-push-1",
  });
  /** Counts the digests and the key imports made from here on. */
  const countCrypto = () => ({ digests: countDigests(), imports: vi.spyOn(crypto.subtle, "importKey") });

  it("a second library pushData with the same contractDetails hashes and imports nothing", async () => {
    const sdk = sdkFor(fake);
    const owner = { ...contractDetails };
    await sdk.pushData(library(owner, new Uint8Array([1, 2, 3])));
    const { digests, imports } = countCrypto();
    await sdk.pushData(library(owner, new Uint8Array([4, 5])));
    expect(digests).not.toHaveBeenCalled();
    expect(imports).not.toHaveBeenCalled();
    expect(fake.imports.map((f) => [...f.data])).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it("a provider pushData, after a library one with the same object, hashes and imports nothing", async () => {
    const sdk = sdkFor(fake);
    const owner = { ...contractDetails };
    await sdk.pushData(library(owner, new Uint8Array([1])));
    const { digests, imports } = countCrypto();
    await sdk.pushData(provider(owner));
    expect(digests).not.toHaveBeenCalled();
    expect(imports).not.toHaveBeenCalled();
    expect(fake.requests.filter((r) => r.route === "fhir")).toHaveLength(1);
  });

  it("a pushData with a fresh copy of contractDetails looks the key up (one digest, no import)", async () => {
    const sdk = sdkFor(fake);
    await sdk.pushData(provider({ ...contractDetails }));
    const { digests, imports } = countCrypto();
    await sdk.pushData(provider({ ...contractDetails }));
    expect(digests).toHaveBeenCalledTimes(1);
    expect(imports).not.toHaveBeenCalled();
  });

  it("the refresh within a pushData hashes nothing", async () => {
    const sdk = sdkFor(fake);
    const owner = { ...contractDetails };
    await sdk.pushData(library(owner, new Uint8Array([1])));
    const options = library(owner, new Uint8Array([2]));
    fake.expire(options.userAccessToken.accessToken.value);
    const digests = countDigests();
    const result = await sdk.pushData(options);
    expect(result.userAccessToken.accessToken.value).not.toBe(options.userAccessToken.accessToken.value);
    expect(fake.requests.filter((r) => r.route === "token")).toHaveLength(1);
    expect(digests).not.toHaveBeenCalled();
  });

  it("a second refreshToken with the same contractDetails hashes and imports nothing", async () => {
    const sdk = sdkFor(fake);
    const owner = { ...contractDetails };
    await sdk.refreshToken({ contractDetails: owner, userAccessToken: fake.issueTokens() });
    const { digests, imports } = countCrypto();
    const fresh = await sdk.refreshToken({ contractDetails: owner, userAccessToken: fake.issueTokens() });
    expect(fresh.accessToken.value).toEqual(expect.any(String));
    expect(digests).not.toHaveBeenCalled();
    expect(imports).not.toHaveBeenCalled();
    // A fresh copy: the cache's lookup.
    await sdk.refreshToken({ contractDetails: { ...contractDetails }, userAccessToken: fake.issueTokens() });
    expect(digests).toHaveBeenCalledTimes(1);
  });
});

describe("getAuthorizeUrl and sendSealed find the contract key by the caller's object", () => {
  const fake = useFakeDigime();
  const descriptor = { mimeType: "application/octet-stream", accounts: [{ accountId: "acc-1" }] };

  it("a second getAuthorizeUrl with the same object makes only the code challenge's digest", async () => {
    const sdk = sdkFor(fake);
    const owner = { ...contractDetails };
    const callback = "https://app.example/cb";
    await sdk.getAuthorizeUrl({ contractDetails: owner, callback });
    const digests = countDigests();
    await sdk.getAuthorizeUrl({ contractDetails: owner, callback });
    expect(digests).toHaveBeenCalledTimes(1); // the PKCE code challenge
    // A fresh copy: the code challenge and the cache's lookup.
    await sdk.getAuthorizeUrl({ contractDetails: { ...contractDetails }, callback });
    expect(digests).toHaveBeenCalledTimes(3);
  });

  it("a second sendSealed with the same object makes no digest, and is delivered", async () => {
    const sdk = sdkFor(fake);
    const owner = { ...contractDetails };
    const send = async (contractDetails: typeof owner, byte: number) =>
      sdk.sendSealed({
        contractDetails,
        userAccessToken: fake.issueTokens(),
        postboxId: "postbox-1",
        sealed: await sealForPostbox(new Uint8Array([byte]), descriptor),
        fileName: "file.bin",
      });
    await send(owner, 1);
    const sealed = await sealForPostbox(new Uint8Array([2]), descriptor);
    const digests = countDigests();
    const result = await sdk.sendSealed({
      contractDetails: owner,
      userAccessToken: fake.issueTokens(),
      postboxId: "postbox-1",
      sealed,
      fileName: "file.bin",
    });
    expect(result.status).toBe("delivered");
    expect(digests).not.toHaveBeenCalled();
    await send({ ...contractDetails }, 3);
    expect(digests).toHaveBeenCalledTimes(1); // a fresh copy: the cache's lookup
    expect(fake.files.map((f) => [...f.data])).toEqual([[1], [2], [3]]);
  });
});
