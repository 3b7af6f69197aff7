/**
 * The Worker's layer rule (docs/architecture.md): every file of `src/` imports values only from its
 * own layer or the layers below it. Lowest first: the shared files (`settings.ts`, `errors.ts`,
 * `config.ts`, `env.ts`), `lib/`, `middleware/`, `routes/`, `vault.ts` (the Durable Object, so
 * that only `index.ts` takes it as a value: everything else reaches it through its stub), `index.ts`.
 * The typed client (`client*.ts`) stands beside them: the values it takes, and the values those
 * take in turn, come only from itself, `lib/` and `errors.ts` (so a browser bundle holds no
 * settings, middleware, route or vault), and no Worker file imports it. Types-only imports are
 * free. Imports are read with TypeScript's parser.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

const LAYERS = ["shared", "lib", "middleware", "routes", "vault", "index"] as const;
type Layer = (typeof LAYERS)[number] | "client";

/** The layer of a file, by its path under src/ (with `/` separators). */
function layerOf(path: string): Layer {
  if (["settings.ts", "errors.ts", "config.ts", "env.ts"].includes(path)) return "shared";
  if (/^client(-[a-z-]+)?\.ts$/.test(path)) return "client";
  if (path === "vault.ts") return "vault";
  if (path === "index.ts") return "index";
  const [top] = path.split("/");
  if (path.includes("/") && (top === "lib" || top === "middleware" || top === "routes")) return top;
  throw new Error(`${path} is in no layer: add it to the rule (and docs/architecture.md)`);
}

interface Import {
  /** The imported file, under src/. */
  target: string;
  /** Only types are imported (`import type`, or every name marked `type`). */
  typeOnly: boolean;
}

/** Whether an import or export clause brings in types only. */
function typesOnly(clause: ts.ImportClause | ts.ExportDeclaration | undefined): boolean {
  if (!clause) return false; // `import "./x.ts"` runs the file; `export * from` re-exports values.
  if (clause.isTypeOnly) return true;
  const named = ts.isImportClause(clause) ? clause.namedBindings : clause.exportClause;
  if (ts.isImportClause(clause) && clause.name) return false;
  if (!named || !(ts.isNamedImports(named) || ts.isNamedExports(named))) return false;
  return named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
}

/** The relative imports, re-exports and dynamic imports of `source` (the file at `path` under src/). */
function importsOf(path: string, source: string): Import[] {
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: Import[] = [];
  const add = (specifier: ts.Expression | undefined, typeOnly: boolean) => {
    if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith(".")) return;
    found.push({ target: normalize(join(dirname(path), specifier.text)).replace(/\\/g, "/"), typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) add(node.moduleSpecifier, typesOnly(node.importClause));
    else if (ts.isExportDeclaration(node)) add(node.moduleSpecifier, typesOnly(node));
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node)) return; // `import("./x.ts").T` is a type.
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/**
 * Every import of `path` that breaks the rule, as `path -> target (why)`. `read` gives the text
 * of another file of src/ (the client's rule looks at what the `lib/` file it takes imports).
 */
function violations(path: string, source: string, read: (path: string) => string): string[] {
  const from = layerOf(path);
  const out: string[] = [];
  for (const { target, typeOnly } of importsOf(path, source)) {
    const to = layerOf(target);
    if (to === "client") {
      if (from !== "client") out.push(`${path} -> ${target} (the Worker imports the typed client)`);
      continue;
    }
    if (typeOnly) continue;
    if (from === "client") out.push(...clientViolations(path, target, read));
    else if (LAYERS.indexOf(to) > LAYERS.indexOf(from)) {
      out.push(`${path} -> ${target} (${from} imports ${to}, a layer above it)`);
    }
  }
  return out;
}

/** Files whose values the client may bundle: its own, `lib/`'s and `errors.ts` (no settings, no Hono app). */
const CLIENT_MAY_TAKE = (path: string) => ["client", "lib"].includes(layerOf(path)) || path === "errors.ts";

/**
 * Why the client may not take a value of `target`, if it may not: `target`, or a file whose values
 * it takes (and so on), is outside {@link CLIENT_MAY_TAKE}.
 */
function clientViolations(path: string, target: string, read: (path: string) => string): string[] {
  const seen = new Set<string>();
  const walk = (file: string, via: string): string[] => {
    if (seen.has(file)) return [];
    seen.add(file);
    if (!CLIENT_MAY_TAKE(file))
      return [`${path} -> ${via}${file} (the client takes a value of ${layerOf(file)})`];
    if (layerOf(file) === "client") return [];
    const next = importsOf(file, read(file)).filter((i) => !i.typeOnly);
    return next.flatMap((i) => walk(i.target, `${via}${file} -> `));
  };
  return walk(target, "");
}

describe("the Worker's layers", () => {
  const files = readdirSync(SRC, { recursive: true, encoding: "utf8" })
    .filter((path) => path.endsWith(".ts"))
    .map((path) => path.replace(/\\/g, "/"));
  const read = (path: string) => readFileSync(join(SRC, path), "utf8");

  it("every source file imports values only from its own layer or below", () => {
    expect(files.length).toBeGreaterThan(60);
    const found = files.flatMap((path) => violations(path, read(path), read));
    expect(found).toEqual([]);
  });

  it("only index.ts imports vault.ts (to export it); lib/session.ts reaches it through its stub", () => {
    const importers = files.filter((path) =>
      importsOf(path, read(path)).some((i) => i.target === "vault.ts"),
    );
    expect(importers).toEqual(["index.ts"]);
    expect(read("lib/session.ts")).toContain("env.USER_VAULT.get(");
  });

  it("the rule sees an upward import, and lets a types-only one through (control)", () => {
    const none = () => "";
    const check = (path: string, source: string) => violations(path, source, none);
    expect(check("lib/x.ts", 'import { requireSession } from "../middleware/session.ts";\n')).toHaveLength(1);
    expect(check("middleware/x.ts", 'import {\n  files,\n} from "../routes/files.ts";\n')).toHaveLength(1);
    expect(check("config.ts", 'import { httpUrlOf } from "./lib/return-to.ts";\n')).toHaveLength(1);
    expect(check("routes/x.ts", 'import { UserVault } from "../vault.ts";\n')).toHaveLength(1);
    expect(check("lib/x.ts", 'const m = await import("../routes/files.ts");\n')).toHaveLength(1);
    expect(check("lib/x.ts", 'export * from "../routes/files.ts";\n')).toHaveLength(1);
    expect(check("lib/x.ts", 'import { a, type B } from "../middleware/session.ts";\n')).toHaveLength(1);
    expect(check("routes/x.ts", 'import { createClient } from "../client.ts";\n')).toHaveLength(1);
    expect(check("routes/x.ts", 'import type { EdgeClient } from "../client.ts";\n')).toHaveLength(1);
    expect(check("client-x.ts", 'import { getConfig } from "./config.ts";\n')).toHaveLength(1);
    expect(check("client-x.ts", 'import { files } from "./routes/files.ts";\n')).toHaveLength(1);
    const chain = (path: string) =>
      ({ "lib/x.ts": 'import { y } from "./y.ts";\n', "lib/y.ts": 'import { a } from "../env.ts";\n' })[
        path
      ] ?? "";
    expect(violations("client-x.ts", 'import { x } from "./lib/x.ts";\n', chain)).toEqual([
      "client-x.ts -> lib/x.ts -> lib/y.ts -> env.ts (the client takes a value of shared)",
    ]);

    expect(check("lib/x.ts", 'import type { UserVault } from "../vault.ts";\n')).toEqual([]);
    expect(check("lib/x.ts", 'import { type A, type B } from "../routes/files.ts";\n')).toEqual([]);
    expect(check("lib/x.ts", 'type T = import("../vault.ts").UserVault;\n')).toEqual([]);
    expect(check("routes/x.ts", 'import { getConfig } from "../config.ts";\n')).toEqual([]);
    expect(check("index.ts", 'export { UserVault } from "./vault.ts";\n')).toEqual([]);
    expect(check("client-x.ts", 'import type { AppType } from "./index.ts";\n')).toEqual([]);
    expect(check("client-x.ts", 'import { x } from "./lib/x.ts";\n')).toEqual([]);
    expect(check("client-x.ts", 'import { ApiError } from "./errors.ts";\n')).toEqual([]);
  });
});
