/**
 * A tiny, runtime-neutral test harness: `test(name, fn)`, a few assertions, and `run()` returning a
 * plain result object that any host (a process, a worker, a browser page) can serialize and check.
 * No Node, Deno or DOM API is used here, so the same code runs everywhere.
 */

/** The outcome of one case. */
export interface CaseResult {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

/** The outcome of a whole run: what every runtime entry point reports to the host. */
export interface SuiteResult {
  runtime: string;
  passed: number;
  failed: number;
  ms: number;
  results: CaseResult[];
}

/** Thrown by the assertions below. */
export class AssertionError extends Error {
  override name = "AssertionError";
}

type CaseFn = () => unknown | Promise<unknown>;

/** Registers a case (what `createHarness().test` is), for files that add cases to the suite. */
export type TestFn = (name: string, fn: CaseFn) => void;

/** Collects cases, then runs them one after another (order matters: later cases may use earlier state). */
export function createHarness() {
  const cases: { name: string; fn: CaseFn }[] = [];
  return {
    test(name: string, fn: CaseFn): void {
      cases.push({ name, fn });
    },
    async run(runtime: string, opts: { timeoutMs?: number } = {}): Promise<SuiteResult> {
      const { timeoutMs = 60_000 } = opts;
      const results: CaseResult[] = [];
      const started = Date.now();
      for (const { name, fn } of cases) {
        const t0 = Date.now();
        try {
          await withTimeout(Promise.resolve().then(fn), timeoutMs, name);
          results.push({ name, ok: true, ms: Date.now() - t0 });
        } catch (err) {
          results.push({ name, ok: false, ms: Date.now() - t0, error: describe(err) });
        }
      }
      const passed = results.filter((r) => r.ok).length;
      return { runtime, passed, failed: results.length - passed, ms: Date.now() - started, results };
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AssertionError(`"${name}" timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

/** A one-line, serializable description of a thrown value (name, code, message, cause). */
export function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    let s = `${err.name}${code !== undefined ? ` [${String(code)}]` : ""}: ${err.message}`;
    if (err.cause !== undefined) s += ` (cause: ${describe(err.cause)})`;
    return s;
  }
  return String(err);
}

/** Fails unless `cond` is truthy. */
export function assert(cond: unknown, message = "assertion failed"): asserts cond {
  if (!cond) throw new AssertionError(message);
}

/** Strict equality (`Object.is`) for primitives. */
export function equal<T>(actual: T, expected: T, message = "values differ"): void {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(`${message}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

/** Structural equality through JSON (plain data only). */
export function deepEqual(actual: unknown, expected: unknown, message = "values differ"): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new AssertionError(`${message}: expected ${e}, got ${a}`);
}

/** Byte-for-byte equality, reporting the first differing offset. */
export function bytesEqual(actual: Uint8Array, expected: Uint8Array, message = "bytes differ"): void {
  if (actual.length !== expected.length) {
    throw new AssertionError(`${message}: length ${actual.length}, expected ${expected.length}`);
  }
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) throw new AssertionError(`${message}: first difference at byte ${i}`);
  }
}

/**
 * Awaits `fn` and requires it to throw an error whose `name` is `errorName` (names, not classes, so
 * a check also holds across bundles and realms). Returns the error for further checks.
 */
export async function rejects(fn: () => unknown, errorName: string, message = "expected a rejection") {
  let thrown: unknown;
  try {
    await fn();
  } catch (err) {
    thrown = err;
  }
  if (thrown === undefined) throw new AssertionError(`${message}: nothing was thrown`);
  const name = thrown instanceof Error ? thrown.name : typeof thrown;
  if (name !== errorName) {
    throw new AssertionError(`${message}: expected ${errorName}, got ${describe(thrown)}`);
  }
  return thrown as Error & Record<string, unknown>;
}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 120 ? `${v.slice(0, 120)}…` : v);
  return String(v);
}
