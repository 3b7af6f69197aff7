/**
 * What the fuzzing suites (`test/proof/fuzz-routes.test.ts`, `test/import/fuzz.test.ts`) share: the
 * invariants every answer keeps, and a property run on a fixed seed that must also reach every kind
 * of answer it names, not only bounce off the routes.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { expect, it } from "vitest";
import { DIGIME_5XX, errorOf, expectSecurityHeaders } from "./answers.ts";
import { findSecrets } from "./secret-scan.ts";
import { APP_ORIGIN, ORIGIN, SOAK } from "./test-env.ts";

/** How many times more runs (and time) a fuzzing test takes under `PROOF_SOAK=1`. */
export const FUZZ_SCALE = SOAK ? 20 : 1;

const ONBOARD_ORIGIN = new URL((env as unknown as Env).DIGIME_ONBOARD_URL).origin;

/** A fuzzed request's answer, as {@link expectFuzzedAnswer} read it. */
export interface FuzzedAnswer {
  status: number;
  /** The JSON error's code, when the answer is one. */
  code: string | undefined;
  /** `status code` (`status delivered` for a delivered file, `status ` otherwise): the key in `seen`. */
  key: string;
  text: string;
}

/**
 * Checks the invariants every answer to a fuzzed request keeps, and counts it in `seen`: the
 * security headers; no 5xx but digi.me's documented ones; an answer of 400 or more (but to HEAD)
 * is JSON `{ error: { code, message } }` and nothing else; a redirect goes to this Worker, the app
 * or digi.me's onboarding; no secret (the private key, the session secret, `secrets`) in its
 * headers or body.
 *
 * @param answer - The Worker's answer.
 * @param request - The request's method, and where it went (`METHOD /path?query`) for messages.
 * @param seen - Answers seen, by key.
 * @param secrets - The user's own secrets (their tokens) besides the Worker's.
 * @returns The answer's status, error code, key and text.
 */
export async function expectFuzzedAnswer(
  answer: Response,
  request: { method: string; where: string },
  seen: Map<string, number>,
  secrets: string[],
): Promise<FuzzedAnswer> {
  const { where } = request;
  const text = await answer.clone().text();
  const { status } = answer;
  expectSecurityHeaders(answer, where);
  const error = await errorOf(answer);
  const key = `${status} ${error.code ?? (/"status":"delivered"/.test(text) ? "delivered" : "")}`;
  seen.set(key, (seen.get(key) ?? 0) + 1);
  if (status >= 500)
    expect(DIGIME_5XX.has(error.code ?? ""), `${key} for ${where}: ${text.slice(0, 200)}`).toBe(true);
  if (status >= 400 && request.method !== "HEAD") {
    expect(answer.headers.get("Content-Type"), where).toMatch(/^application\/json/);
    expect(typeof error.code, `${where}: ${text.slice(0, 200)}`).toBe("string");
    expect(typeof error.message, where).toBe("string");
    expect(Object.keys(JSON.parse(text) as object)).toEqual(["error"]);
  }
  if (status >= 300 && status < 400) {
    const location = answer.headers.get("Location");
    expect(location, where).toBeTruthy();
    expect([ORIGIN, APP_ORIGIN, ONBOARD_ORIGIN], `${where} -> ${location}`).toContain(
      new URL(location as string).origin,
    );
  }
  const scanned = `${[...answer.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n${text}`;
  expect(findSecrets(scanned, secrets), where).toEqual([]);
  return { status, code: error.code, key, text };
}

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

/**
 * A test named `name` that runs {@link fuzzAndReach} with `runs.numRuns` times {@link FUZZ_SCALE}
 * runs, in two minutes times {@link FUZZ_SCALE} at most.
 */
export function itFuzzes<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  check: (plan: T) => Promise<void>,
  runs: FuzzRuns,
  seen: Map<string, number>,
  mustReach: readonly string[],
): void {
  const scaled = { seed: runs.seed, numRuns: runs.numRuns * FUZZ_SCALE };
  it(name, () => fuzzAndReach(arb, check, scaled, seen, mustReach), 120_000 * FUZZ_SCALE);
}
