/**
 * The few schema constructors sdk-core's inputs need (object, array, optional, string, number,
 * any value with a predicate), as plain functions. A schema checks a value, records what is wrong
 * with it by path, and returns a copy holding only the members it knows.
 *
 * Why not zod/mini: with the constructors below it adds 5.5 KB min+gz to a write, half of the
 * 12 KB budget of the whole write path; this module is 0.8 KB minified. Issues have zod's shape
 * (`path` array) and messages never hold the value, which may be a secret.
 */
import { TypeValidationError, type ValidationIssue } from "../errors.ts";

/** Checks `value` found at `path`, pushing each problem onto `issues`; returns the checked value. */
export type Schema<T> = (value: unknown, path: (string | number)[], issues: ValidationIssue[]) => T;

/** What a schema returns. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = {
  [K in keyof S]: undefined extends Infer<S[K]> ? K : never;
}[keyof S];

/** What {@link object} returns: a member whose schema accepts `undefined` is optional. */
export type ObjectOf<S extends Shape> = {
  [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]>;
} & { [K in OptionalKeys<S>]?: Infer<S[K]> };

/** The issue for a value that is not of type `expected`. */
function typeIssue(value: unknown, expected: string): string {
  const actual = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  return value === undefined ? "is required" : `must be ${expected}, not ${actual}`;
}

/**
 * A schema of a value of type `expected` (by `isType`), which `test`, when given, must accept;
 * `inner` checks the members of a value of the right type.
 */
function typed<T>(
  expected: string,
  isType: (v: unknown) => boolean,
  test?: (v: T) => boolean,
  message = "is invalid",
  inner?: Schema<T>,
): Schema<T> {
  return (value, path, issues) => {
    if (!isType(value)) issues.push({ path, message: typeIssue(value, expected) });
    else if (test && !test(value as T)) issues.push({ path, message });
    else if (inner) return inner(value, path, issues);
    return value as T;
  };
}

/** A string; `test`, when given, must accept it (else `message`). */
export const string = (test?: (s: string) => boolean, message?: string): Schema<string> =>
  typed("string", (v) => typeof v === "string", test, message);

/** A finite number; `test`, when given, must accept it (else `message`). */
export const number = (test?: (n: number) => boolean, message?: string): Schema<number> =>
  typed("number", Number.isFinite, test, message);

/** Any value that `test` accepts (else `message`, also when the value is missing). */
export const custom = <T>(test: (v: unknown) => boolean, message: string): Schema<T> =>
  typed<T>("", () => true, test, message);

/** `schema`, or nothing (`undefined`). */
export const optional =
  <T>(schema: Schema<T>): Schema<T | undefined> =>
  (value, path, issues) =>
    value === undefined ? undefined : schema(value, path, issues);

/** An array whose every item `item` accepts. */
export const array = <T>(item: Schema<T>): Schema<T[]> =>
  typed("array", Array.isArray, undefined, undefined, (value, path, issues) =>
    // Array.from, not map: a hole in a sparse array is checked as `undefined`.
    Array.from(value as unknown[], (v, i) => item(v, [...path, i], issues)),
  );

/** Whether `v` is an object and not an array (nor `null`). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A plain object with the members of `shape`; other members are left out of the result. */
export const object = <S extends Shape>(shape: S): Schema<ObjectOf<S>> =>
  typed("object", isObject, undefined, undefined, (value, path, issues) => {
    const out: Record<string, unknown> = {};
    for (const key in shape) {
      const checked = (shape[key] as Schema<unknown>)(
        (value as Record<string, unknown>)[key],
        [...path, key],
        issues,
      );
      if (checked !== undefined) out[key] = checked;
    }
    return out as ObjectOf<S>;
  });

/** Checks `value` against `schema`: the checked value, or the issues found. */
export function check<T>(
  schema: Schema<T>,
  value: unknown,
): { ok: true; value: T } | { ok: false; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const checked = schema(value, [], issues);
  return issues.length === 0 ? { ok: true, value: checked } : { ok: false, issues };
}

/**
 * Checks `value` against `schema` and returns the checked value.
 * @param what Names the input in the error message, e.g. `"write options"`.
 * @throws TypeValidationError whose `issues` hold each field's path and what is wrong with it.
 */
export function parseInput<S extends Schema<unknown>>(schema: S, value: unknown, what: string): Infer<S> {
  const result = check(schema, value);
  if (result.ok) return result.value as Infer<S>;
  throw validationError(what, result.issues);
}

/** Whether `value` passes `schema`. */
export const conforms = (schema: Schema<unknown>, value: unknown): boolean => check(schema, value).ok;

/** A {@link TypeValidationError} listing `issues` in its message (paths and problems, never values). */
export function validationError(
  what: string,
  issues: ValidationIssue[],
  options: { code?: string; cause?: unknown } = {},
): TypeValidationError {
  const list = issues.map((i) => `${i.path.join(".") || "(input)"} ${i.message}`).join("; ");
  return new TypeValidationError(`Invalid ${what}: ${list}`, { issues, ...options });
}
