/** The tests' origins, cookie names and bindings (the Worker's and the test harness's). */
import { env } from "cloudflare:workers";
import { COOKIE_NAMES } from "../../src/lib/session.ts";

/** The Worker's origin in tests. */
export const ORIGIN = "https://edge.test";
/** The allowed app origin in tests. */
export const APP_ORIGIN = "https://app.test";
/** The session cookie's name on https (the tests' origin). */
export const SESSION_COOKIE = COOKIE_NAMES.https.session;
/** The pending sign-in cookie's name on https. */
export const PENDING_COOKIE = COOKIE_NAMES.https.pending;

/** The Worker's bindings in tests, with the harness's own (see `vitest.config.ts`). */
export const testEnv = env as unknown as Env & {
  TEST_EMULATOR_URL: string;
  TEST_PROXY_CONTROL_URL: string;
  TEST_SEALER_URL: string;
  PROOF_SOAK: string;
};
/** The emulator's own URL (admin and library API). */
export const EMULATOR = testEnv.TEST_EMULATOR_URL;
/** `PROOF_SOAK=1`: the long versions of the test/proof suite. */
export const SOAK = testEnv.PROOF_SOAK === "1";
