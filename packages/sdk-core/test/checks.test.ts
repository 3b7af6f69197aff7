import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import type { ValidationIssue } from "../src/errors.ts";
import {
  array,
  check,
  custom,
  number,
  object,
  optional,
  type Schema,
  string,
} from "../src/internal/checks.ts";

/** The issues `schema` finds in `value`, as "path: message" lines. */
function issuesOf(schema: Schema<unknown>, value: unknown): string[] {
  const result = check(schema, value);
  return result.ok ? [] : result.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("the schema kit", () => {
  const token = object({ value: string((s) => s.length > 0, "must not be empty"), expiry: number() });

  it("returns a copy that holds only the members of the shape", () => {
    const result = check(object({ a: string(), b: optional(number()) }), { a: "x", extra: 1 });
    expect(result).toEqual({ ok: true, value: { a: "x" } });
  });

  it("names each problem by its path, nested in objects and arrays, and finds them all", () => {
    const schema = object({ token, list: array(object({ id: string() })) });
    expect(
      issuesOf(schema, { token: { value: "", expiry: "soon" }, list: [{ id: "a" }, {}, { id: 3 }] }),
    ).toEqual([
      "token.value: must not be empty",
      "token.expiry: must be number, not string",
      "list.1.id: is required",
      "list.2.id: must be string, not number",
    ]);
  });

  it("says which type was expected and which was given, never the value", () => {
    expect(issuesOf(token, null)).toEqual([": must be object, not null"]);
    expect(issuesOf(token, [1])).toEqual([": must be object, not array"]);
    expect(issuesOf(array(string()), { length: 0 })).toEqual([": must be array, not object"]);
    expect(issuesOf(string(), "secret-value")).toEqual([]);
    const leaked = issuesOf(object({ n: number() }), { n: "secret-value" }).join();
    expect(leaked).not.toContain("secret-value");
  });

  it("refuses NaN and infinities as numbers", () => {
    for (const n of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(issuesOf(number(), n)).toEqual([": must be number, not number"]);
    }
    expect(issuesOf(number(), -0)).toEqual([]);
  });

  it("runs a test only on a value of the right type, and says its message", () => {
    let calls = 0;
    const positive = number((n) => {
      calls++;
      return n > 0;
    }, "must be positive");
    expect(issuesOf(positive, "1")).toEqual([": must be number, not string"]);
    expect(calls).toBe(0);
    expect(issuesOf(positive, -1)).toEqual([": must be positive"]);
    expect(
      issuesOf(
        number((n) => n > 0),
        -1,
      ),
    ).toEqual([": is invalid"]);
  });

  it("custom: its message also when the value is missing; optional lets undefined through", () => {
    const fn = custom((v) => typeof v === "function", "must be a function");
    expect(issuesOf(object({ f: fn }), {})).toEqual(["f: must be a function"]);
    expect(issuesOf(object({ f: optional(fn) }), {})).toEqual([]);
    expect(issuesOf(object({ f: optional(fn) }), { f: null })).toEqual(["f: must be a function"]);
  });

  it("checks the holes of a sparse array as missing items", () => {
    // biome-ignore lint/suspicious/noSparseArray: the point of the test
    expect(issuesOf(array(string()), ["a", , "c"])).toEqual(["1: is required"]);
  });

  it("keeps the caller's values (functions, streams) as they are", () => {
    const f = () => 1;
    const result = check(object({ f: custom((v) => typeof v === "function", "fn") }), { f });
    expect(result.ok && result.value.f).toBe(f);
  });
});

// --- The same verdicts as zod/mini (dev-only oracle), for random schemas and values --------------

type Desc =
  | { kind: "string" | "number" | "nonEmpty" | "fn" }
  | { kind: "optional" | "array"; of: Desc }
  | { kind: "object"; shape: [string, Desc][] };

const descArb: fc.Arbitrary<Desc> = fc.letrec<{ desc: Desc }>((tie) => ({
  desc: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom<Desc>({ kind: "string" }, { kind: "number" }, { kind: "nonEmpty" }, { kind: "fn" }),
    fc.record({ kind: fc.constantFrom<"optional" | "array">("optional", "array"), of: tie("desc") }),
    fc.record({
      kind: fc.constant<"object">("object"),
      shape: fc.uniqueArray(fc.tuple(fc.constantFrom("a", "b", "c", "d"), tie("desc")), {
        maxLength: 4,
        selector: ([key]) => key,
      }),
    }),
  ),
})).desc;

const isFunction = (v: unknown) => typeof v === "function";

function ours(d: Desc): Schema<unknown> {
  switch (d.kind) {
    case "string":
      return string();
    case "number":
      return number();
    case "nonEmpty":
      return string((s) => s.length > 0, "must not be empty");
    case "fn":
      return custom(isFunction, "must be a function");
    case "optional":
      return optional(ours(d.of));
    case "array":
      return array(ours(d.of));
    case "object":
      return object(Object.fromEntries(d.shape.map(([k, v]) => [k, ours(v)])));
  }
}

function zods(d: Desc): z.ZodMiniType {
  switch (d.kind) {
    case "string":
      return z.string();
    case "number":
      return z.number();
    case "nonEmpty":
      return z.string().check(z.refine((s) => s.length > 0, "must not be empty"));
    case "fn":
      return z.custom(isFunction, "must be a function");
    case "optional":
      return z.optional(zods(d.of));
    case "array":
      return z.array(zods(d.of));
    case "object":
      return z.object(Object.fromEntries(d.shape.map(([k, v]) => [k, zods(v)])));
  }
}

/** Values that mostly fit `d`, with a random value now and then anywhere in them. */
function fittingValue(d: Desc): fc.Arbitrary<unknown> {
  const fitting = ((): fc.Arbitrary<unknown> => {
    switch (d.kind) {
      case "string":
        return fc.string();
      case "number":
        return fc.oneof(fc.double(), fc.integer(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0));
      case "nonEmpty":
        return fc.string({ maxLength: 2 });
      case "fn":
        return fc.constant(() => 0);
      case "optional":
        return fc.option(fittingValue(d.of), { nil: undefined });
      case "array":
        return fc.oneof(
          fc.array(fittingValue(d.of), { maxLength: 3 }),
          fc.sparseArray(fittingValue(d.of), { maxLength: 3 }),
        );
      case "object":
        return fc.record(Object.fromEntries(d.shape.map(([k, v]) => [k, fittingValue(v)])), {
          requiredKeys: [],
        });
    }
  })();
  return fc.oneof(
    { weight: 5, arbitrary: fitting },
    { weight: 1, arbitrary: fc.anything({ withSparseArray: true, withNullPrototype: true }) },
  );
}

/** A value without its `undefined` members and functions, to compare outputs. */
const plain = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === "function" ? "fn" : x));

describe("agrees with zod/mini (an independent implementation) on random schemas and values", () => {
  it("the same verdict, the same issue paths, the same output (fast-check)", () => {
    fc.assert(
      fc.property(
        descArb.chain((d) => fc.tuple(fc.constant(d), fittingValue(d))),
        ([d, value]) => {
          const mine = check(ours(d), value);
          const theirs = zods(d).safeParse(value);
          expect(mine.ok).toBe(theirs.success);
          if (mine.ok && theirs.success) {
            expect(plain(mine.value)).toBe(plain(theirs.data));
          } else if (!mine.ok && !theirs.success) {
            const paths = (issues: { path: PropertyKey[] }[]) => issues.map((i) => i.path.join(".")).sort();
            expect(paths(mine.issues)).toEqual(paths(theirs.error.issues));
            const custom = (mine.issues as ValidationIssue[]).filter(
              (i) => !/^(is required|must be \w+, not)/.test(i.message),
            );
            const theirsCustom = theirs.error.issues.filter((i) => i.code === "custom");
            expect(custom.map((i) => i.message).sort()).toEqual(theirsCustom.map((i) => i.message).sort());
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
