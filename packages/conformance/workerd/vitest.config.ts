// Runs workerd/*.test.ts inside workerd. The host (runners/run-workerd.mjs) passes where the local
// digi.me server is through the environment; it reaches the suite as Worker bindings.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        bindings: {
          CONFORMANCE_TARGET: process.env.CONFORMANCE_TARGET ?? "",
          CONFORMANCE_RESULT_URL: process.env.CONFORMANCE_RESULT_URL ?? "",
        },
      },
    }),
  ],
  test: {
    root: import.meta.dirname,
    include: ["*.test.ts"],
    testTimeout: 120_000,
  },
});
