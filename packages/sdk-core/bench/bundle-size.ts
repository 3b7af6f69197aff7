/**
 * What an app's bundle holds of sdk-core when it uses an entry point: esbuild bundle + minify
 * (esm, platform neutral, es2022), then gzip -9. Shared by `pnpm bench` (table 5) and the budget
 * test (test/bundle-size.test.ts), so that both measure the same way.
 */
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

/** The budget of a write: 12 KB min+gz (12 288 bytes), dependencies included. */
export const WRITE_SIZE_BUDGET = 12 * 1024;

/** The budget of an app that only imports `pushData`: 10 KB min+gz (10 240 bytes), no envelope. */
export const PUSH_SIZE_BUDGET = 10 * 1024;

/** Modules of the postbox write (envelope, encryption, multipart), which a push must not hold. */
export const ENVELOPE_MODULES = [
  "src/crypto/envelope.ts",
  "src/crypto/cbc-stream.ts",
  "src/internal/cbc.ts",
  "src/crypto/seal-source.ts",
  "src/request/postbox.ts",
  "src/internal/multipart.ts",
];

const PKG = fileURLToPath(new URL("..", import.meta.url));

/**
 * Entry points: what an app that only writes imports, the SDK object (every method), what a browser
 * app that seals for the Worker imports, what an app that only pushes (import API) imports, and
 * everything.
 */
export const ENTRIES = {
  write: 'import { write } from "@digime-edge/sdk-core";\nexport { write };',
  initWrite:
    'import { init } from "@digime-edge/sdk-core";\nexport const write = (config, options) => init(config).write(options);',
  seal: 'import { seal } from "@digime-edge/sdk-core";\nexport { seal };',
  pushData: 'import { pushData } from "@digime-edge/sdk-core";\nexport { pushData };',
  all: 'export * from "@digime-edge/sdk-core";',
} as const;

/** The size of one bundle, and its inputs with their minified bytes (largest first). */
export interface BundleSize {
  min: number;
  gz: number;
  /** `dependency`: the input comes from a package in node_modules, not from sdk-core. */
  inputs: { path: string; bytes: number; dependency: boolean }[];
}

/**
 * Bundles `contents` (JavaScript that imports `@digime-edge/sdk-core`).
 * @param options.src Bundle src/ instead of the built dist/.
 */
export async function bundleSize(contents: string, options: { src?: boolean } = {}): Promise<BundleSize> {
  const result = await esbuild.build({
    stdin: { contents, resolveDir: PKG, loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    treeShaking: true,
    write: false,
    metafile: true,
    logLevel: "silent",
    ...(options.src ? { alias: { "@digime-edge/sdk-core": "./src/index.ts" } } : {}),
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  const inputs = Object.entries(Object.values(result.metafile.outputs)[0]?.inputs ?? {})
    .map(([path, v]) => ({
      path: path.replace(/^.*node_modules\//, ""),
      bytes: v.bytesInOutput,
      dependency: path.includes("node_modules/"),
    }))
    .filter((e) => e.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
  return { min: code.length, gz: gzipSync(code, { level: 9 }).length, inputs };
}
