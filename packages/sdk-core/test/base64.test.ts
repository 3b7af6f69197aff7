import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  base64ByteLength,
  decodeBase64,
  decodeBase64Url,
  encodeBase64,
  encodeBase64Url,
} from "../src/internal/base64.ts";

const STANDARD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

describe("base64 and base64url agree with Buffer", () => {
  it("encode and decode any bytes (fast-check)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const buffer = Buffer.from(bytes);
        const b64 = buffer.toString("base64");
        const url = buffer.toString("base64url");
        expect(encodeBase64(bytes)).toBe(b64);
        expect(encodeBase64Url(bytes)).toBe(url);
        expect(decodeBase64(b64)).toEqual(bytes);
        expect(decodeBase64Url(url)).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it("encodes views at an offset (subarrays) correctly", () => {
    const bytes = randomBytes(1000);
    for (const [start, end] of [
      [1, 2],
      [3, 998],
      [500, 1000],
    ] as const) {
      const view = new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
      expect(encodeBase64(view)).toBe(bytes.subarray(start, end).toString("base64"));
    }
  });

  // How fast is for `pnpm bench`; this checks that a large input comes out right.
  it("encodes and decodes 16 MiB as Buffer does", () => {
    const bytes = randomBytes(16 * 1024 * 1024);
    const b64 = encodeBase64(bytes);
    const url = encodeBase64Url(bytes);
    expect(b64).toBe(bytes.toString("base64"));
    expect(url).toBe(bytes.toString("base64url"));
    expect(Buffer.from(decodeBase64(b64)).equals(bytes)).toBe(true);
    expect(Buffer.from(decodeBase64Url(url)).equals(bytes)).toBe(true);
  });

  it("accepts only canonical encodings: decoding then encoding gives the input back (fast-check)", () => {
    const chars = (alphabet: string) => fc.constantFrom(...alphabet.split(""), "=");
    fc.assert(
      fc.property(
        fc.string({ unit: chars(STANDARD), maxLength: 12 }),
        fc.string({ unit: chars(URL_SAFE), maxLength: 12 }),
        (s, u) => {
          let decoded: Uint8Array | undefined;
          try {
            decoded = decodeBase64(s);
          } catch (error) {
            expect(error).toBeInstanceOf(TypeError);
          }
          if (decoded) expect(encodeBase64(decoded)).toBe(s);
          decoded = undefined;
          try {
            decoded = decodeBase64Url(u);
          } catch (error) {
            expect(error).toBeInstanceOf(TypeError);
          }
          if (decoded) expect(encodeBase64Url(decoded)).toBe(u);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("strict decoding", () => {
  it.each([
    ["a character outside the alphabet", "AB*D"],
    ["URL-safe characters", "AB-_"],
    ["whitespace", "QUJD RA=="],
    ["a newline", "QUJD\nRA=="],
    ["missing padding", "QUJDRA"],
    ["too much padding", "QQ==="],
    ["padding in the middle", "QQ==QUJD"],
    ["padding first", "=QUJ"],
    ["a lone padding character in a group of three", "QU=D"],
    ["non-zero trailing bits (one byte)", "QR=="],
    ["non-zero trailing bits (two bytes)", "QUL="],
    ["an impossible length", "QUJDR"],
    ["a character above U+00FF whose low byte is in the alphabet", "QUJ\u0141"],
    ["a non-ASCII Latin-1 character", "QUJ\u00c1"],
  ])("decodeBase64 refuses %s", (_, input) => {
    expect(() => decodeBase64(input)).toThrow(TypeError);
  });

  it.each([
    ["padding", "QQ=="],
    ["standard-only characters", "ab+/"],
    ["whitespace", "QUJD RA"],
    ["non-zero trailing bits", "QR"],
    ["an impossible length", "QUJDR"],
    ["a character above U+00FF", "QUJ\u0141"],
  ])("decodeBase64Url refuses %s", (_, input) => {
    expect(() => decodeBase64Url(input)).toThrow(TypeError);
  });

  it("refuses a value that is not a string", () => {
    expect(() => decodeBase64(undefined as unknown as string)).toThrow(TypeError);
    expect(() => decodeBase64Url(42 as unknown as string)).toThrow(TypeError);
  });

  it("decodes the empty string to no bytes", () => {
    expect(decodeBase64("")).toEqual(new Uint8Array(0));
    expect(decodeBase64Url("")).toEqual(new Uint8Array(0));
    expect(encodeBase64(new Uint8Array(0))).toBe("");
  });
});

describe("base64ByteLength", () => {
  it("is the decoded length of every standard encoding, without decoding (fast-check)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(base64ByteLength(Buffer.from(bytes).toString("base64"))).toBe(bytes.length);
      }),
    );
  });

  it("is undefined for what decodeBase64 refuses by alphabet, padding or length", () => {
    for (const bad of [
      "A",
      "AB",
      "ABC",
      "AB=",
      "A===",
      "AB==C",
      "QUJD\n",
      " QUJD",
      "QU-D",
      "QU_D",
      "QUJD=",
      "====",
      "QQ",
    ]) {
      expect(base64ByteLength(bad), JSON.stringify(bad)).toBeUndefined();
      expect(() => decodeBase64(bad), JSON.stringify(bad)).toThrow(TypeError);
    }
    expect(base64ByteLength("")).toBe(0);
  });
});
