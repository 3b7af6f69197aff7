/**
 * The page's words for the typed client's errors, where the same code means two things: a network
 * failure before the file was sent (nothing arrived) and after it (the file may have arrived).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { EdgeClientError } from "@digime-edge/edge-worker/client";
import { describeError } from "../src/messages.ts";

test("a network failure before the body was sent says to try again", () => {
  const problem = describeError(new EdgeClientError(0, "NETWORK", "fetch failed"));
  assert.equal(problem.mayHaveArrived, undefined);
  assert.match(problem.title, /could not be reached/);
});

test("a network failure after the body was sent says the file may have arrived", () => {
  const error = new EdgeClientError(0, "NETWORK", "fetch failed", undefined, { mayHaveArrived: true });
  const problem = describeError(error);
  assert.equal(problem.mayHaveArrived, true);
  assert.match(problem.title, /may have arrived/);
  assert.match(problem.hint ?? "", /Check your library/);
});

test("the Worker's own DIGIME_OUTCOME_UNKNOWN keeps its words", () => {
  const error = new EdgeClientError(502, "DIGIME_OUTCOME_UNKNOWN", "lost", undefined, {
    mayHaveArrived: true,
  });
  assert.match(describeError(error).title, /digi.me got it/);
});
