/**
 * sdk-core's layer rule (docs/architecture.md): every source file imports only from its own layer
 * or the layers below it. Lowest first: the base (errors, types, version), `internal/`, `crypto/`,
 * `request/`, the operations (the other files at the top of src/, one public operation per file,
 * with `config.ts` and `schemas.ts`), `client.ts`, `index.ts` (and `index-internal.ts`, the
 * `./internal` subpath). Types-only imports are free.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));

const LAYERS = ["base", "internal", "crypto", "request", "operations", "client", "index"] as const;
type Layer = (typeof LAYERS)[number];

/** The layer of a file, by its path under src/ (with `/` separators). */
function layerOf(path: string): Layer {
  if (["errors.ts", "types.ts", "version.ts"].includes(path)) return "base";
  const [top] = path.split("/");
  if (top === "internal" || top === "crypto" || top === "request") return top;
  if (path === "client.ts") return "client";
  if (path === "index.ts" || path === "index-internal.ts") return "index";
  if (!path.includes("/")) return "operations";
  throw new Error(`${path} is in no layer: add its folder to the rule (and docs/architecture.md)`);
}

/** Files the operations may take values from besides the layers below: shared, not operations. */
const OPERATIONS_SHARED = ["config.ts", "schemas.ts"];

interface Import {
  /** The imported file, under src/. */
  target: string;
  /** Only types are imported (`import type`, or every name marked `type`). */
  typeOnly: boolean;
}

/** The relative imports and re-exports of `source` (the text of the file at `path` under src/). */
function importsOf(path: string, source: string): Import[] {
  const found: Import[] = [];
  const statement = /^(import|export)\s+(type\s+)?(?:([^;()=]*?)\s+from\s+)?["'](\.{1,2}\/[^"']+)["']/gm;
  for (const [, , typeKeyword, clause = "", specifier = ""] of source.matchAll(statement)) {
    const names = /\{([^}]*)\}/.exec(clause)?.[1];
    const allTypes =
      names !== undefined &&
      !clause.replace(/\{[^}]*\}/, "").trim() &&
      names
        .split(",")
        .map((n) => n.trim())
        .filter(Boolean)
        .every((n) => n.startsWith("type "));
    const target = normalize(join(dirname(path), specifier))
      .replace(/\\/g, "/")
      .replace(/\.js$/, ".ts");
    found.push({ target, typeOnly: typeKeyword !== undefined || allTypes });
  }
  return found;
}

/** Every import of `path` that breaks the rule, as `path -> target (why)`. */
function violations(path: string, source: string): string[] {
  const from = LAYERS.indexOf(layerOf(path));
  const out: string[] = [];
  for (const { target, typeOnly } of importsOf(path, source)) {
    if (typeOnly) continue;
    const layer = layerOf(target);
    const to = LAYERS.indexOf(layer);
    if (to > from) out.push(`${path} -> ${target} (${LAYERS[from]} imports ${layer}, a layer above it)`);
    else if (layer === "operations" && from === to && !OPERATIONS_SHARED.includes(target)) {
      out.push(`${path} -> ${target} (an operation imports another operation)`);
    }
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [relative(SRC, path).replace(/\\/g, "/")] : [];
  });
}

describe("sdk-core's layers", () => {
  const files = sourceFiles(SRC);

  it("every source file imports values only from its own layer or below", () => {
    expect(files.length).toBeGreaterThan(40);
    const found = files.flatMap((path) => violations(path, readFileSync(join(SRC, path), "utf8")));
    expect(found).toEqual([]);
  });

  it("internal/ imports values only from internal/ and the base", () => {
    for (const path of files.filter((f) => f.startsWith("internal/"))) {
      for (const { target, typeOnly } of importsOf(path, readFileSync(join(SRC, path), "utf8"))) {
        if (!typeOnly) expect(["internal", "base"], `${path} -> ${target}`).toContain(layerOf(target));
      }
    }
  });

  it("the rule sees an upward import, and lets a types-only one through (control)", () => {
    const upward = 'import { sendRequest } from "../request/send.ts";\n';
    expect(violations("internal/x.ts", upward)).toHaveLength(1);
    expect(violations("crypto/x.ts", 'import {\n  parseInput,\n} from "../schemas.ts";\n')).toHaveLength(1);
    expect(violations("write.ts", 'import { seal } from "./seal.ts";\n')).toHaveLength(1);
    expect(violations("internal/x.ts", 'import type { ClientContext } from "../config.ts";\n')).toEqual([]);
    expect(violations("internal/x.ts", 'import { type A, type B } from "../types.ts";\n')).toEqual([]);
    expect(violations("internal/x.ts", 'import { a, type B } from "../crypto/keys.ts";\n')).toHaveLength(1);
    expect(violations("index.ts", 'export { write } from "./client.ts";\n')).toEqual([]);
  });
});
