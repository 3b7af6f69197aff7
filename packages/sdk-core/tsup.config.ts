import { defineConfig } from "tsup";

const common = {
  format: ["esm", "cjs"],
  target: "es2022",
  platform: "neutral",
  treeshake: true,
} as const;

export default defineConfig([
  {
    ...common,
    // The package and its unstable `./internal` subpath (test hooks). Both entries share one chunk
    // of code, also for CommonJS, so that there is one copy of the error classes (`instanceof`).
    entry: { index: "src/index.ts", internal: "src/index-internal.ts" },
    splitting: true,
    sourcemap: true,
    // Each entry's declarations in one file of its own: a shared declaration chunk would be named
    // `./chunk.js` in `import` statements with no such JavaScript file, which Deno cannot resolve.
    dts: { entry: { index: "src/index.ts" } },
  },
  { ...common, entry: { internal: "src/index-internal.ts" }, dts: { only: true } },
]);
