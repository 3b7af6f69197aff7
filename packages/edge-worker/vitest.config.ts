import { cloudflareTest } from "@cloudflare/vitest-plugin";
import type { ProvidedContext } from "vitest";
import { defineConfig } from "vitest/config";
import { SETTINGS } from "./src/settings.ts";

/** The Worker's origin in tests (https: Secure cookies and HSTS are exercised). */
const WORKER_ORIGIN = "https://edge.test";

/**
 * The Worker's settings in tests, by name of `src/settings.ts` (a name not there is refused when
 * the tests start); the others take `wrangler.jsonc`'s vars, the Worker's defaults. A test may
 * override any of them on its own copy of the bindings.
 */
function testSettings(
  writeApi: "postbox" | "import",
  inject: <K extends keyof ProvidedContext>(key: K) => ProvidedContext[K],
) {
  const settings: Record<string, string> = {
    DIGIME_APPLICATION_ID: inject("applicationId"),
    DIGIME_CONTRACT_ID: inject(writeApi === "import" ? "importContractId" : "contractId"),
    DIGIME_WRITE_API: writeApi,
    DIGIME_PRIVATE_KEY: inject("privateKey"),
    DIGIME_REDIRECT_URI: `${WORKER_ORIGIN}/auth/callback`,
    DIGIME_BASE_URL: `${inject("digimeUrl")}/v1.7/`,
    DIGIME_ONBOARD_URL: `${inject("digimeUrl")}/apps/saas/`,
    SESSION_SECRET: inject("sessionSecret"),
    ALLOWED_ORIGINS: "https://app.test",
    MAX_UPLOAD_BYTES: String(8 * 1024 * 1024),
    RATE_LIMIT_PER_MINUTE: "1000",
    // Uploads at once: test/proof/concurrency.test.ts sends 200 at once under PROOF_SOAK
    // (the default, 4, is tested by overriding this).
    MAX_CONCURRENT_UPLOADS: "1000",
    MIN_UPLOAD_BYTES_PER_SECOND: "16384",
    UPLOAD_GRACE_SECONDS: "30",
    SESSION_IDLE_TIMEOUT_SECONDS: "3600",
  };
  const unknown = Object.keys(settings).filter((name) => !(name in SETTINGS));
  if (unknown.length > 0) throw new Error(`not settings of src/settings.ts: ${unknown.join(", ")}`);
  return settings;
}

/**
 * A project running the Worker in workerd against the emulator (started by the global setup), with
 * the contract of one write API (`DIGIME_WRITE_API`).
 */
function workerdProject(name: string, writeApi: "postbox" | "import", include: string[], exclude: string[]) {
  return {
    plugins: [
      cloudflareTest(({ inject }) => ({
        wrangler: { configPath: "./wrangler.jsonc" },
        miniflare: {
          // The Worker under test talks to the emulator (through the switchable proxy).
          bindings: {
            ...testSettings(writeApi, inject),
            TEST_EMULATOR_URL: inject("emulatorUrl"),
            TEST_PROXY_CONTROL_URL: inject("proxyControlUrl"),
            TEST_SEALER_URL: inject("sealerUrl"),
            // `PROOF_SOAK=1 pnpm test`: the long versions of the test/proof suite.
            PROOF_SOAK: process.env.PROOF_SOAK ?? "",
            // `TUS_LARGE=1 pnpm test`: tus-js-client uploads of 300 MiB instead of 24 MiB.
            TUS_LARGE: process.env.TUS_LARGE ?? "",
          },
        },
      })),
    ],
    test: {
      name,
      globalSetup: ["./test/global-setup.ts"],
      include,
      exclude,
      // One emulator serves every file, and its counters and faults are global: one file at a time.
      fileParallelism: false,
      // And one project after the other (each has its own emulator; timing tests want the CPU).
      sequence: { groupOrder: writeApi === "import" ? 1 : 0 },
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  };
}

export default defineConfig({
  test: {
    projects: [
      workerdProject("workerd", "postbox", ["test/**/*.test.ts"], ["test/node/**", "test/import/**"]),
      // The same Worker with an import contract (DIGIME_WRITE_API=import).
      workerdProject("workerd-import", "import", ["test/import/**/*.test.ts"], []),
      {
        // sdk-core built for Node seals; node:crypto decrypts; the typed client runs in Node.
        test: {
          name: "node",
          environment: "node",
          include: ["test/node/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
