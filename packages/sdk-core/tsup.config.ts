import { defineConfig } from "tsup";

export default defineConfig({
  // The package and its unstable `./internal` subpath (test hooks); shared code is one chunk.
  entry: { index: "src/index.ts", internal: "src/index-internal.ts" },
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "es2022",
  platform: "neutral",
  treeshake: true,
  // Also for CommonJS, so that both entries share one copy of the error classes (`instanceof`).
  splitting: true,
});
