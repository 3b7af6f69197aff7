/**
 * The Worker's checks that are sdk-core's own (its `./internal` subpath): the envelope of a sealed
 * upload, tus `Upload-Metadata` and base64url cookie parts refuse what sdk-core refuses, against
 * Node's Buffer as the independent codec.
 */
import { describe, expect, it } from "vitest";
import { parseSealedEnvelope, SEALED_HEADERS } from "../../src/lib/sealed-envelope.ts";
import { base64UrlBytes, randomId } from "../../src/lib/signing.ts";
import { formatUploadMetadata, parseUploadMetadata } from "../../src/lib/tus/metadata.ts";

const ENVELOPE: Record<string, string> = {
  [SEALED_HEADERS.iv]: "00112233445566778899aabbccddeeff",
  [SEALED_HEADERS.symmetricalKey]: Buffer.alloc(256, 7).toString("base64"),
  [SEALED_HEADERS.metadata]: Buffer.alloc(32, 9).toString("base64"),
};
const envelope = (headers: Record<string, string>) => parseSealedEnvelope((name) => headers[name]);

describe("the Worker's checks are sdk-core's", () => {
  it("a sealed envelope: lowercase hex iv, standard padded base64 key and metadata", () => {
    expect(envelope(ENVELOPE)).toMatchObject({ ok: true, wrappedKeyBytes: 256 });
    const iv = SEALED_HEADERS.iv;
    expect(envelope({ ...ENVELOPE, [iv]: ENVELOPE[iv]?.toUpperCase() ?? "" })).toMatchObject({
      ok: false,
      code: "BAD_IV",
    });
    const key = Buffer.alloc(256, 7).toString("base64url");
    expect(envelope({ ...ENVELOPE, [SEALED_HEADERS.symmetricalKey]: key })).toMatchObject({
      code: "BAD_SYMMETRICAL_KEY",
    });
    const unpadded = Buffer.alloc(31, 9).toString("base64").replace(/=+$/, "");
    expect(envelope({ ...ENVELOPE, [SEALED_HEADERS.metadata]: unpadded })).toMatchObject({
      code: "BAD_METADATA",
    });
  });

  it("Upload-Metadata: values round-trip through Buffer; a non-canonical encoding is refused", () => {
    const header = formatUploadMetadata({ filename: "é.txt", empty: "", mode: "sealed" });
    expect(header).toBe(`filename ${Buffer.from("é.txt").toString("base64")},empty,mode c2VhbGVk`);
    const parsed = parseUploadMetadata(header);
    expect(parsed.ok && Object.fromEntries(parsed.values)).toEqual({
      filename: "é.txt",
      empty: "",
      mode: "sealed",
    });
    // `QQ==` is "A"; `QR==` decodes to "A" too (atob ignores the spare bits), but is not base64 of it.
    expect(parseUploadMetadata("filename QQ==")).toMatchObject({ ok: true });
    expect(parseUploadMetadata("filename QR==")).toMatchObject({ ok: false });
    expect(parseUploadMetadata("filename QQ")).toMatchObject({ ok: false });
  });

  it("base64url: Buffer's encoding only, never padding, the other alphabet or spare bits", () => {
    const bytes = Buffer.from([0xfb, 0xff, 0x01]);
    expect(base64UrlBytes(bytes.toString("base64url"))).toEqual(new Uint8Array(bytes));
    for (const bad of ["-_8B=", "+/8B", "-_9", " -_8B", "A"]) {
      expect(base64UrlBytes(bad), bad).toBeUndefined();
    }
    const id = randomId(32);
    expect(Buffer.from(id, "base64url").toString("base64url")).toBe(id);
    expect(Buffer.from(id, "base64url")).toHaveLength(32);
  });
});
