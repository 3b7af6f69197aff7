/**
 * The postbox ids a sign-in's redirect may carry are exactly those sdk-core's `write` and
 * `sendSealed` take (up to the Worker's 256 characters): one the Worker stored and sdk-core
 * refused would fail every write of the session. sdk-core, built for Node, is the oracle.
 */
import { generateKeyPairSync } from "node:crypto";
import {
  type SendSealedOptions,
  sendSealed,
  TypeValidationError,
  type WriteOptions,
  write,
} from "@digime-edge/sdk-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { callbackGrant } from "../../src/lib/callback-grant.ts";

const PEM = generateKeyPairSync("rsa", { modulusLength: 2048 })
  .publicKey.export({ type: "spki", format: "pem" })
  .toString();
// Never called: every call below is refused before any request (the public key is not a string).
const config = {
  applicationId: "app",
  baseUrl: "http://127.0.0.1:9/v1.7/",
  fetch: () => Promise.reject(new Error("no request may be sent")),
};

/** Whether sdk-core's `call` refuses `postboxId` by name, with other options certainly refused too. */
async function refusedByName(call: () => Promise<unknown>): Promise<boolean> {
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TypeValidationError);
  return (error as TypeValidationError).issues.some((issue) => issue.path[0] === "postboxId");
}

/** Whether both of sdk-core's operations with a postbox take `postboxId`. */
async function sdkCoreTakes(postboxId: string): Promise<boolean> {
  const byWrite = await refusedByName(() =>
    write(config, { postboxId, publicKey: 1 } as unknown as WriteOptions),
  );
  const bySendSealed = await refusedByName(() =>
    sendSealed(config, { postboxId, sealed: 1 } as unknown as SendSealedOptions),
  );
  expect(bySendSealed).toBe(byWrite);
  return !byWrite;
}

const workerTakes = (postboxId: string) => callbackGrant("postbox", { postboxId, publicKey: PEM }).ok;

/** Strings rich in what a path segment may not hold, and any UTF-16 (lone surrogates too). */
const candidates = fc.oneof(
  fc.string({
    unit: fc.constantFrom(
      ".",
      "/",
      "\\",
      "?",
      "#",
      "%",
      " ",
      "\t",
      "\u00a0",
      "\u2028",
      "\x00",
      "\x1f",
      "\x7f",
      "a",
      "-",
      "é",
      "\ud800",
    ),
    maxLength: 8,
  }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 12 }),
);

describe("postbox ids: the Worker takes what sdk-core takes", () => {
  it.each([
    ["a..b", false],
    ["..", false],
    [".", false],
    ["pb\x00", false],
    ["pb\x1f", false],
    ["pb\x7f", false],
    ["pb\u2028", false],
    ["\ud800pb", false],
    ["pb-1", true],
    ["a.b", true],
    ["0b3e9a6c-4f1d-4e2b-9a55-7c0d2e1f3a4b", true],
    ["x".repeat(256), true],
  ])("%j: taken %s by both", async (postboxId, taken) => {
    expect(await sdkCoreTakes(postboxId)).toBe(taken);
    expect(workerTakes(postboxId)).toBe(taken);
  });

  it("agrees with sdk-core on generated ids", async () => {
    await fc.assert(
      fc.asyncProperty(candidates, async (postboxId) => {
        if (postboxId === "") return; // no postbox at all: a sign-in that cannot write
        expect(workerTakes(postboxId)).toBe(await sdkCoreTakes(postboxId));
      }),
      { numRuns: 500, seed: 14 },
    );
  });

  it("refuses more than 256 characters, which sdk-core would take", async () => {
    expect(await sdkCoreTakes("x".repeat(257))).toBe(true);
    expect(workerTakes("x".repeat(257))).toBe(false);
  });
});
