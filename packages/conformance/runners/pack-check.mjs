// Packaging checks of @digime-edge/sdk-core, on the tarball a publish would upload: `pnpm pack`
// (which, unlike `npm pack`, turns `catalog:`/`workspace:` versions into real ones), then
// `publint --strict` and `attw` (profile "strict": node10, node16 CJS and ESM, bundler, since the
// package ships ESM and CJS with types for both). Also: `require` and `import` by name give the
// same exports, and both bundle for a neutral platform (no `node:` import).
// Prints `pack-check sdk-core: N passed, M failed`.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { BIN, mainIf, PKG, REPO, report, run } from "./lib.mjs";

const SDK_DIR = join(REPO, "packages", "sdk-core");

export async function packCheck() {
  const t0 = Date.now();
  const results = [];
  const check = async (name, fn) => {
    try {
      const error = await fn();
      results.push({ name, ok: !error, error });
    } catch (err) {
      results.push({ name, ok: false, error: String(err?.stack ?? err) });
    }
  };
  const dir = await mkdtemp(join(tmpdir(), "conformance-pack-"));
  try {
    let tarball;
    await check("pnpm pack", async () => {
      const out = await run("pnpm", ["pack", "--pack-destination", dir], { cwd: SDK_DIR });
      tarball = (await readdir(dir)).find((f) => f.endsWith(".tgz"));
      if (out.code !== 0 || !tarball) return `${out.stdout}\n${out.stderr}`;
      tarball = join(dir, tarball);
    });
    if (tarball) {
      await check("publint --strict", async () => {
        const out = await run(join(BIN, "publint"), ["run", "--strict", tarball]);
        return out.code === 0 && /All good/.test(out.stdout) ? undefined : `${out.stdout}\n${out.stderr}`;
      });
      await check("attw (profile strict)", async () => {
        const out = await run(join(BIN, "attw"), [
          tarball,
          "--profile",
          "strict",
          "--no-color",
          "--no-emoji",
        ]);
        return out.code === 0 ? undefined : `${out.stdout}\n${out.stderr}`;
      });
    }
    // A runtime-neutral bundle fails on any `node:` import or Node-only dependency (of sdk-core or
    // of what it pulls in), through the `import` and the `require` entry alike.
    for (const [entry, contents] of [
      ["import", 'export * from "@digime-edge/sdk-core";'],
      ["require", 'module.exports = require("@digime-edge/sdk-core");'],
    ]) {
      await check(`the ${entry} entry bundles for a neutral platform (no node: imports)`, async () => {
        try {
          await build({
            stdin: { contents, resolveDir: PKG },
            bundle: true,
            write: false,
            platform: "neutral",
            mainFields: ["module", "main"],
            logLevel: "silent",
          });
        } catch (err) {
          return (err.errors ?? [err]).map((e) => e.text ?? String(e)).join("\n");
        }
      });
    }
    await check("require() and import() by name give the same exports", async () => {
      const require = createRequire(join(REPO, "packages", "conformance", "package.json"));
      const cjs = Object.keys(require("@digime-edge/sdk-core"))
        .filter((k) => k !== "__esModule")
        .sort();
      const esm = Object.keys(await import("@digime-edge/sdk-core"))
        .filter((k) => k !== "default")
        .sort();
      return JSON.stringify(cjs) === JSON.stringify(esm) ? undefined : `cjs ${cjs} / esm ${esm}`;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { runtime: "pack-check", ...report("pack-check sdk-core", results, t0) };
}

await mainIf(import.meta, packCheck);
