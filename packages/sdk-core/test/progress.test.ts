import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { seal } from "../src/index.ts";
import { safeProgress } from "../src/internal/progress.ts";
import { openSealed, POSTBOX_PUBLIC_KEY } from "./support/fake-digime.ts";

const descriptor = { mimeType: "application/octet-stream", accounts: [{ accountId: "a" }] };

describe("progress callbacks never break a write", () => {
  it("passes calls through and ignores a throwing or rejecting callback", async () => {
    const calls: [number, number | undefined][] = [];
    safeProgress((sent, total) => {
      calls.push([sent, total]);
    })?.(5, 10);
    expect(calls).toEqual([[5, 10]]);
    expect(safeProgress(undefined)).toBeUndefined();

    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      expect(() =>
        safeProgress(() => {
          throw new Error("sync");
        })?.(1, 2),
      ).not.toThrow();
      let called = false;
      safeProgress(async () => {
        called = true;
        throw new Error("async");
      })?.(1, 2);
      // The callback's promise is rejected by now. Node reports an unhandled rejection once the
      // turn's microtasks are done, so one macrotask later it would be here.
      expect(called).toBe(true);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("seal of a stream completes when the callback throws, and the output still decrypts", async () => {
    const plain = randomBytes(100_000);
    const sealed = await seal({
      publicKey: POSTBOX_PUBLIC_KEY,
      fileData: new Blob([plain]).stream(),
      fileDescriptor: descriptor,
      onProgress: () => {
        throw new Error("progress UI crashed");
      },
    });
    const body = Buffer.from(await new Response(sealed.body).arrayBuffer());
    expect(openSealed(sealed, body).data.equals(plain)).toBe(true);
  });
});
