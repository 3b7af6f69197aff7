import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/** Every source file of the package, with its comments taken out (they may name Node things). */
function sources(): { file: string; code: string }[] {
  const root = join(import.meta.dirname, "../src");
  return readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => ({
      file: relative(root, join(root, f)),
      code: readFileSync(join(root, f), "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/(^|[^:"'`])\/\/.*$/gm, "$1"),
    }));
}

describe("sdk-core src runs on any runtime", () => {
  const files = sources();

  it("finds the sources", () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it("imports nothing but its own modules: no dependency, no node:, no require", () => {
    for (const { file, code } of files) {
      const specifiers = [...code.matchAll(/\b(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]);
      for (const specifier of specifiers) {
        expect(
          specifier?.startsWith("./") || specifier?.startsWith("../"),
          `${file} imports ${specifier}`,
        ).toBe(true);
      }
      expect(code, `${file} uses require`).not.toMatch(/\brequire\s*\(/);
    }
  });

  it("never uses Buffer", () => {
    for (const { file, code } of files) expect(code, `${file} uses Buffer`).not.toMatch(/\bBuffer\b/);
  });
});
