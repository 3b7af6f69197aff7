import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type SealedFile, seal, TypeValidationError } from "../src/index.ts";
import { openSealed, POSTBOX_PUBLIC_KEY, vectors } from "./support/fake-digime.ts";

const descriptor = {
  mimeType: "text/plain",
  accounts: [{ accountId: "a" }],
  reference: ["r"],
  extra: { kept: true },
};

async function bodyBytes(sealed: SealedFile): Promise<Buffer> {
  if (sealed.body instanceof Uint8Array) return Buffer.from(sealed.body);
  return Buffer.from(await new Response(sealed.body).arrayBuffer());
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("seal", () => {
  it("bytes in, bytes out: node:crypto unwraps the key and decrypts metadata and file", async () => {
    const plain = randomBytes(12_345);
    const sealed = await seal({ publicKey: POSTBOX_PUBLIC_KEY, fileData: plain, fileDescriptor: descriptor });
    expect(sealed.body).toBeInstanceOf(Uint8Array);
    expect(sealed.size).toBe(12_352);
    expect(sealed.iv).toMatch(/^[0-9a-f]{32}$/);
    const opened = openSealed(sealed, await bodyBytes(sealed));
    expect(opened.data.equals(plain)).toBe(true);
    // Every member of the caller's descriptor is kept, in its order.
    expect(JSON.stringify(opened.descriptor)).toBe(JSON.stringify(descriptor));
  });

  it("a Blob gives a stream of exactly the announced size", async () => {
    const plain = randomBytes(50_000);
    const sealed = await seal({
      publicKey: vectors.keys.postbox.publicSpki,
      fileData: new Blob([plain]),
      fileDescriptor: descriptor,
    });
    expect(sealed.body).toBeInstanceOf(ReadableStream);
    const body = await bodyBytes(sealed);
    expect(sealed.size).toBe(body.length);
    expect(openSealed(sealed, body).data.equals(plain)).toBe(true);
  });

  it("a stream or a Node Readable gives a stream of unknown size", async () => {
    const plain = randomBytes(40_000);
    for (const fileData of [
      new Blob([plain]).stream(),
      Readable.from([plain.subarray(0, 1000), plain.subarray(1000)]),
    ]) {
      const sealed = await seal({ publicKey: POSTBOX_PUBLIC_KEY, fileData, fileDescriptor: descriptor });
      expect(sealed.size).toBeUndefined();
      expect(openSealed(sealed, await bodyBytes(sealed)).data.equals(plain)).toBe(true);
    }
  });

  it("a fresh key and iv every time", async () => {
    const a = await seal({
      publicKey: POSTBOX_PUBLIC_KEY,
      fileData: new Uint8Array(1),
      fileDescriptor: descriptor,
    });
    const b = await seal({
      publicKey: POSTBOX_PUBLIC_KEY,
      fileData: new Uint8Array(1),
      fileDescriptor: descriptor,
    });
    expect(a.iv).not.toBe(b.iv);
    expect(a.symmetricalKey).not.toBe(b.symmetricalKey);
  });

  it("reports progress of the input as it is read", async () => {
    const progress: [number, number | undefined][] = [];
    const sealed = await seal({
      publicKey: POSTBOX_PUBLIC_KEY,
      fileData: new Blob([randomBytes(3000)]),
      fileDescriptor: descriptor,
      onProgress: (sent, total) => progress.push([sent, total]),
    });
    expect(progress).toEqual([]); // nothing read yet: the stream is lazy
    await bodyBytes(sealed);
    expect(progress.at(-1)).toEqual([3000, 3000]);
  });

  it("holds no secret and sends nothing", async () => {
    const fetch = vi.fn();
    vi.stubGlobal("fetch", fetch);
    const sealed = await seal({
      publicKey: POSTBOX_PUBLIC_KEY,
      fileData: randomBytes(100),
      fileDescriptor: descriptor,
    });
    await bodyBytes(sealed);
    expect(fetch).not.toHaveBeenCalled();
    expect(Object.keys(sealed).sort()).toEqual(["body", "iv", "metadata", "size", "symmetricalKey"]);
  });

  it("refuses bad input", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        {
          publicKey: vectors.keys.contract.privatePkcs1,
          fileData: new Uint8Array(1),
          fileDescriptor: descriptor,
        },
        "publicKey",
      ],
      [{ publicKey: "not a pem", fileData: new Uint8Array(1), fileDescriptor: descriptor }, "publicKey"],
      [{ publicKey: POSTBOX_PUBLIC_KEY, fileData: "text", fileDescriptor: descriptor }, "fileData"],
      [{ publicKey: POSTBOX_PUBLIC_KEY, fileData: 42, fileDescriptor: descriptor }, "fileData"],
      [
        { publicKey: POSTBOX_PUBLIC_KEY, fileData: new Uint8Array(1), fileDescriptor: { accounts: [] } },
        "fileDescriptor.mimeType",
      ],
      [
        {
          publicKey: POSTBOX_PUBLIC_KEY,
          fileData: new Uint8Array(1),
          fileDescriptor: descriptor,
          onProgress: 1,
        },
        "onProgress",
      ],
    ];
    for (const [options, path] of cases) {
      const error = await seal(options as never).catch((e: unknown) => e);
      expect(error, path).toBeInstanceOf(TypeValidationError);
      expect((error as TypeValidationError).issues.map((i) => i.path.join("."))).toContain(path);
    }
  });

  it("an iterable that yields something other than bytes fails the body with a TypeValidationError", async () => {
    const sealed = await seal({
      publicKey: POSTBOX_PUBLIC_KEY,
      fileData: (async function* () {
        yield "text" as unknown as Uint8Array;
      })(),
      fileDescriptor: descriptor,
    });
    await expect(bodyBytes(sealed)).rejects.toBeInstanceOf(TypeValidationError);
  });
});
