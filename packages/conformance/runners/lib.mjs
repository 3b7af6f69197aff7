// What every runner shares: start the local digi.me server, run one runtime against it, compare what
// the server decrypted (postbox writes) and what it recorded (the import API, check-imports.mjs) with
// what the suite sent, print one line, and always stop what was started.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runProcess } from "../../../scripts/run-process.mjs";
import { startServer } from "../host/server.mjs";
import { patternBytes, WRITES } from "../src/data.ts";
import { checkImports } from "./check-imports.mjs";

export const PKG = join(dirname(fileURLToPath(import.meta.url)), "..");
export const REPO = join(PKG, "..", "..");
export const BIN = join(PKG, "node_modules", ".bin");
export const VECTORS_PATH = createRequire(import.meta.url).resolve("@digime-edge/fixtures/official-v8.json");

export const vectors = () => JSON.parse(readFileSync(VECTORS_PATH, "utf8"));

/**
 * Runs `fn(server)` with a fresh local server and stops the server afterwards, whatever happens.
 * Then checks the server's deliveries and prints `conformance <runtime>: N passed, M failed`.
 * `fn` returns the suite's result object. Resolves with `{ runtime, passed, failed, ms }`.
 */
export async function runRuntime(runtime, fn, { streams = true } = {}) {
  const t0 = Date.now();
  let suite;
  let host = [];
  const fixtures = vectors();
  const server = await startServer({ vectors: fixtures });
  try {
    suite = await fn(server);
    host = checkDeliveries(server.deliveries, { streams });
    const contractSpki = fixtures.keys.contract.publicSpki;
    host.push(...(await checkImports(server.recorded, { target: server.target, contractSpki, streams })));
  } catch (err) {
    suite = {
      runtime,
      passed: 0,
      failed: 1,
      results: [{ name: "runner", ok: false, error: String(err?.stack ?? err) }],
    };
  } finally {
    await server.close();
  }
  return { runtime, ...report(`conformance ${runtime}`, [...suite.results, ...host], t0) };
}

/**
 * Prints `<label>: N passed, M failed (x s)` (the line scripts/test-all.mjs counts), then each
 * failure with its error. Returns `{ passed, failed, ms }`, `ms` counted from `t0`.
 */
export function report(label, results, t0) {
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  const ms = Date.now() - t0;
  console.log(`${label}: ${passed} passed, ${failed} failed (${(ms / 1000).toFixed(1)} s)`);
  for (const r of results) if (!r.ok) console.log(`  ✗ ${r.name}\n${indent(r.error)}`);
  return { passed, failed, ms };
}

/**
 * The host's own cases: every file the suite wrote reached the server exactly once, and what
 * node:crypto decrypted there equals what the suite generated from the same seed. With `streams`,
 * the stream write must have been sent as a streamed (chunked) body, not buffered first.
 */
export function checkDeliveries(deliveries, { streams }) {
  const out = [];
  for (const [kind, c] of Object.entries(WRITES)) {
    const got = deliveries.filter((d) => d.fileName === c.fileName);
    if (kind === "resealed" && streams) {
      // Sent as it flowed, the stream was spent when the token had to be refreshed: nothing may
      // arrive (above all not an empty or partial body sent again).
      const error = got.length === 0 ? undefined : `delivered ${got.length} times, expected never`;
      out.push({
        name: "host: a spent stream is not sent again after the refresh",
        ok: !error,
        ms: 0,
        ...(error ? { error } : {}),
      });
      continue;
    }
    const name = `host: the ${kind} write decrypts (node:crypto) to exactly what was sent`;
    const sha = createHash("sha256").update(patternBytes(c.seed, c.size)).digest("hex");
    let error;
    if (got.length !== 1) error = `delivered ${got.length} times, expected once`;
    else if (got[0].size !== c.size) error = `size ${got[0].size}, expected ${c.size}`;
    else if (got[0].sha256 !== sha) error = "content differs from what was sent";
    else if (got[0].descriptor?.mimeType !== c.mimeType)
      error = `metadata ${JSON.stringify(got[0].descriptor)}`;
    out.push({ name, ok: !error, ms: 0, ...(error ? { error } : {}) });
  }
  const stream = deliveries.find((d) => d.fileName === WRITES.stream.fileName);
  const expected = streams ? "chunked" : "content-length";
  out.push({
    name: `host: the stream write was sent ${streams ? "as a stream (chunked)" : "as a Blob (Content-Length)"}`,
    ok: stream?.transfer === expected,
    ms: 0,
    ...(stream?.transfer === expected
      ? {}
      : { error: `transfer ${stream?.transfer ?? "none"}, expected ${expected}` }),
  });
  return out;
}

/**
 * Runs a command from this package with the runner's defaults (see `scripts/run-process.mjs`):
 * resolves with `{ code, stdout, stderr }`, never rejects on a non-zero exit.
 */
export function run(cmd, args, { timeoutMs = 120_000, env = {}, cwd = PKG } = {}) {
  return runProcess(cmd, args, { cwd, env: { ...process.env, ...env }, timeoutMs });
}

/**
 * The result line a command-line entry printed, or a failure result carrying its output. The entry
 * exits 0 once it has printed its result: any other exit (a crash after it, a kill on timeout)
 * adds a failed case.
 */
export function parseResult(runtime, { code, stdout, stderr }) {
  const line = stdout.split("\n").find((l) => l.startsWith("@@conformance "));
  const output = `exit ${code}\n${stdout}\n${stderr}`.trim().slice(-4000);
  if (!line) return { runtime, passed: 0, failed: 1, results: [failure(`${runtime} ran the suite`, output)] };
  const result = JSON.parse(line.slice("@@conformance ".length));
  return code === 0 ? result : withFailure(result, `${runtime} exited 0 after the suite`, output);
}

/** A failed case. */
export const failure = (name, error) => ({ name, ok: false, ms: 0, error });

/** A suite's result with one more failed case (its counts follow). */
export const withFailure = (result, name, error) => ({
  ...result,
  failed: result.failed + 1,
  results: [...result.results, failure(name, error)],
});

/** `text` indented for a failure report. */
export const indent = (text) =>
  String(text ?? "")
    .trim()
    .split("\n")
    .map((l) => `      ${l}`)
    .join("\n");

/** Runs a runner's main when its file is executed directly, exiting non-zero on any failure. */
export async function mainIf(meta, fn) {
  if (!meta.main) return;
  const { failed } = await fn();
  process.exitCode = failed === 0 ? 0 : 1;
}
