// The conformance suite inside workerd: imports @digime-edge/sdk-core by name (resolved through its
// `exports` for the workerd conditions), runs every case, posts the result to the host.
import { env } from "cloudflare:workers";
import { expect, test } from "vitest";
import { runConformance } from "../src/suite.ts";

test("sdk-core conformance suite", async () => {
  expect(env.CONFORMANCE_TARGET, "run through runners/run-workerd.mjs").not.toBe("");
  const result = await runConformance("workerd", JSON.parse(env.CONFORMANCE_TARGET));
  await fetch(env.CONFORMANCE_RESULT_URL, { method: "POST", body: JSON.stringify(result) });
  expect(result.results.filter((r) => !r.ok)).toEqual([]);
});
