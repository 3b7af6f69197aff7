import { defineConfig } from "vitest/config";

// The suite runs the built packages (`pnpm test` builds first), as an application would import them.
// Files run one at a time: the fault runs time retries and restarts, and CI has two cores.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
