import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  concatBytes,
  fromHex,
  toArrayBufferBytes,
  toHex,
  utf8Decode,
  utf8Encode,
} from "../src/internal/bytes.ts";
import { randomBytes, randomNonce } from "../src/internal/random.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("bytes", () => {
  it("toHex/fromHex agree with Buffer (fast-check)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const hex = Buffer.from(bytes).toString("hex");
        expect(toHex(bytes)).toBe(hex);
        expect(fromHex(hex)).toEqual(bytes);
        expect(fromHex(hex.toUpperCase())).toEqual(bytes);
      }),
    );
  });

  it.each(["0", "abc", "zz", "0x00", " 00", "00 "])("fromHex refuses %j", (s) => {
    expect(() => fromHex(s)).toThrow(TypeError);
  });

  it("utf8Encode/utf8Decode agree with Buffer and refuse invalid UTF-8", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (s) => {
        expect(utf8Encode(s)).toEqual(new Uint8Array(Buffer.from(s, "utf8")));
        expect(utf8Decode(utf8Encode(s))).toBe(s);
      }),
    );
    expect(() => utf8Decode(new Uint8Array([0xc3]))).toThrow(TypeError);
    expect(() => utf8Decode(new Uint8Array([0xed, 0xa0, 0x80]))).toThrow(TypeError); // a lone surrogate
    expect(utf8Decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41]))).toBe("\ufeffA"); // BOM kept
  });

  it("concatBytes joins parts, views included", () => {
    const base = new Uint8Array([9, 1, 2, 3, 9]);
    expect(concatBytes(base.subarray(1, 4), new Uint8Array(0), new Uint8Array([4]))).toEqual(
      new Uint8Array([1, 2, 3, 4]),
    );
    expect(concatBytes()).toEqual(new Uint8Array(0));
  });

  it("toArrayBufferBytes keeps ArrayBuffer views and copies shared ones", () => {
    const plain = new Uint8Array(4);
    expect(toArrayBufferBytes(plain)).toBe(plain);
    const shared = new Uint8Array(new SharedArrayBuffer(4));
    shared[0] = 7;
    const copy = toArrayBufferBytes(shared);
    expect(copy.buffer).toBeInstanceOf(ArrayBuffer);
    expect([...copy]).toEqual([7, 0, 0, 0]);
  });
});

describe("randomBytes", () => {
  it("fills more than 65536 bytes in several calls", () => {
    const spy = vi.spyOn(crypto, "getRandomValues");
    const bytes = randomBytes(200_000);
    expect(bytes).toHaveLength(200_000);
    expect(spy).toHaveBeenCalledTimes(4);
    for (const [view] of spy.mock.calls) expect((view as Uint8Array).length).toBeLessThanOrEqual(65_536);
    // The last 10 KB are filled too (all-zero would be a 2^-80000 event).
    expect(bytes.subarray(190_000).some((b) => b !== 0)).toBe(true);
    expect(randomBytes(0)).toHaveLength(0);
  });

  it.each([-1, 1.5, Number.NaN])("refuses n = %d", (n) => {
    expect(() => randomBytes(n)).toThrow(RangeError);
  });
});

describe("randomNonce", () => {
  it("is 32 characters of [A-Za-z0-9] by default, any length on request", () => {
    expect(randomNonce()).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(randomNonce(0)).toBe("");
    expect(randomNonce(1000)).toMatch(/^[A-Za-z0-9]{1000}$/);
    expect(new Set(Array.from({ length: 50 }, () => randomNonce())).size).toBe(50);
    expect(() => randomNonce(-1)).toThrow(RangeError);
  });

  it("rejects bytes 248..255 instead of folding them (no modulo bias)", () => {
    const script = [248, 249, 250, 251, 252, 253, 254, 255, 0, 61, 62, 247];
    vi.spyOn(crypto, "getRandomValues").mockImplementation((view) => {
      const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      for (let i = 0; i < bytes.length; i++) bytes[i] = script.shift() ?? 255;
      return view;
    });
    // 0 -> A, 61 -> 9, 62 -> A, 247 -> 247 % 62 = 61 -> 9.
    expect(randomNonce(4)).toBe("A9A9");
  });

  it("is uniform over the 62 symbols (chi-square, p < 1e-6 to fail)", () => {
    const counts = new Map<string, number>();
    const text = randomNonce(62 * 2000);
    for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    const expected = 2000;
    let chi = 0;
    for (const n of counts.values()) chi += (n - expected) ** 2 / expected;
    expect(chi).toBeLessThan(130); // 61 degrees of freedom
  });
});
