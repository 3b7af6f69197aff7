import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // The integration tests run sdk-core from its source, so they never see a stale build.
  resolve: {
    alias: { "@digime-edge/sdk-core": fileURLToPath(new URL("../sdk-core/src/index.ts", import.meta.url)) },
  },
  test: { include: ["test/**/*.test.ts"], testTimeout: 30_000, hookTimeout: 30_000 },
});
