/**
 * The conformance suite of @digime-edge/sdk-core: the cases of the files registered below, run
 * unchanged on Node, Deno, Bun, workerd and Chromium (see ../runners). They import the SDK by its
 * package name, so every runtime resolves the published entry (`exports` of sdk-core's
 * package.json, the built dist).
 * No runtime-specific API is used: only WebCrypto, fetch, web streams, Blob and FormData.
 *
 * Cases check sdk-core against the official SDK's known-answer vectors and against WebCrypto used
 * directly; the write cases go to a local digi.me server (the `target`) whose node:crypto side
 * decrypts every file, so the host can compare it with what was sent.
 */
import { envelopeCases } from "./envelope.ts";
import { createHarness, type SuiteResult } from "./harness.ts";
import { importFakeCases } from "./import-fake.ts";
import { importServerCases } from "./import-server.ts";
import { keyAndJwtCases } from "./keys-jwt.ts";
import { signInV10Cases } from "./sign-in-v10.ts";
import type { Target } from "./vectors.ts";
import { writeFakeCases } from "./write-fake.ts";
import { writeServerCases } from "./write-server.ts";

export type { Target } from "./vectors.ts";

/** Runs every case and returns the result. `target` is the local server for the write cases. */
export async function runConformance(runtime: string, target: Target): Promise<SuiteResult> {
  const { test, run } = createHarness();
  // Against a fake digi.me (no network); the order is the cases' order in the result.
  keyAndJwtCases(test);
  envelopeCases(test);
  writeFakeCases(test);
  importFakeCases(test);
  signInV10Cases(test);
  // Against the local digi.me server: later cases use the session the first one signs in.
  writeServerCases(test, target);
  importServerCases(test, target, runtime);
  return run(runtime);
}
