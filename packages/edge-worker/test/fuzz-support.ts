/**
 * What the fuzzing suites (`test/proof/fuzz-routes.test.ts`, `test/import/fuzz.test.ts`) share: a
 * property run on a fixed seed that must also reach every kind of answer it names, not only bounce
 * off the routes.
 */
import fc from "fast-check";
import { expect } from "vitest";

/** A fixed-seed run: the seed and how many runs. */
export interface FuzzRuns {
  seed: number;
  numRuns: number;
}

/**
 * Checks `check` on `arb`'s values (fast-check, ending at the first failure), then that the run
 * reached each answer of `mustReach` at least once.
 *
 * @param arb - The planned requests.
 * @param check - Sends one and asserts every invariant; records its answer's key in `seen`.
 * @param runs - The seed and the number of runs.
 * @param seen - Answers seen, by `status code`: cleared first, filled by `check`.
 * @param mustReach - The keys the run must have seen.
 */
export async function fuzzAndReach<T>(
  arb: fc.Arbitrary<T>,
  check: (plan: T) => Promise<void>,
  runs: FuzzRuns,
  seen: Map<string, number>,
  mustReach: readonly string[],
): Promise<void> {
  seen.clear();
  await fc.assert(fc.asyncProperty(arb, check), { ...runs, endOnFailure: true });
  for (const key of mustReach)
    expect(seen.get(key) ?? 0, `${key} in ${JSON.stringify([...seen])}`).toBeGreaterThan(0);
}
