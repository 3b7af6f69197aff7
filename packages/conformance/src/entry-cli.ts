/**
 * Entry point for runtimes with a command line (Node, Deno, Bun): `<entry> <runtime> <target JSON>`.
 * Prints the result as one line prefixed with `@@conformance ` for the host to read.
 */
import { runConformance } from "./suite.ts";

const g = globalThis as { Deno?: { args: string[] }; process?: { argv: string[] } };
const args = g.Deno?.args ?? g.process?.argv.slice(2) ?? [];
const [runtime = "unknown", target = "{}"] = args;
const result = await runConformance(runtime, JSON.parse(target));
console.log(`@@conformance ${JSON.stringify(result)}`);
