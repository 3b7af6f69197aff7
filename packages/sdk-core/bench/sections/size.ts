/**
 * Section 5 (`size`): minified+gzipped size of what `write` and `pushData` pull in (esbuild;
 * sdk-core has no dependencies), against their budgets, and the largest modules.
 */
import { bundleSize, ENTRIES, PUSH_SIZE_BUDGET, WRITE_SIZE_BUDGET } from "../bundle-size.ts";
import { BenchError, kib, table } from "../lib.ts";

/** Prints table 5. */
export async function benchSize() {
  const write = await bundleSize(ENTRIES.write);
  const viaInit = await bundleSize(ENTRIES.initWrite);
  const sealOnly = await bundleSize(ENTRIES.seal);
  const push = await bundleSize(ENTRIES.pushData);
  const all = await bundleSize(ENTRIES.all);
  const fromSrc = await bundleSize(ENTRIES.write, { src: true });
  // For scale: what zod/mini (a dev dependency here, the test oracle of our schemas) would add.
  const zodFloor = await bundleSize(
    'import * as z from "zod/mini";\nexport const f = (v) => z.object({ a: z.string() }).safeParse(v);',
  );
  const dependencies = write.inputs.filter((e) => e.dependency);
  if (dependencies.length > 0) {
    throw new BenchError(`the write bundle holds code from outside sdk-core: ${dependencies[0]?.path}`);
  }
  // A row, with its budget when it has one (the write's 12 KB, the push's 10 KB).
  const row = (name: string, r: { min: number; gz: number }, budget?: number) => [
    name,
    kib(r.min),
    kib(r.gz, 2),
    String(r.gz),
    budget === undefined ? "" : `${budget}`,
    budget === undefined ? "" : r.gz <= budget ? `ok (${budget - r.gz} to spare)` : "OVER BUDGET",
  ];
  table(
    "5. What a write and a push pull in: esbuild bundle+minify, esm, platform neutral, gzip -9",
    ["entry", "minified", "min+gz", "bytes", "budget", "within budget"],
    [
      row("write(config, options) (dist; no dependencies)", write, WRITE_SIZE_BUDGET),
      row("pushData(config, options) (dist; import API, no envelope)", push, PUSH_SIZE_BUDGET),
      row("init(config).write (dist; the object holds every method)", viaInit),
      row("seal(options) (a browser app sealing for the Worker)", sealOnly),
      row("export * (whole public API, for reference)", all),
      row("write(config, options) bundled from src/ (for the list below)", fromSrc),
      row("for scale: zod/mini's z.object({ a: z.string() }).safeParse alone", zodFloor),
    ],
    [
      "Budgets in bytes gzipped: 12 KB = 12 288 (write), 10 KB = 10 240 (pushData).",
      "The same budgets are a test: test/bundle-size.test.ts.",
    ],
  );
  const entries = fromSrc.inputs;
  const top = entries
    .slice(0, 15)
    .map((e) => [e.path, kib(e.bytes), `${((100 * e.bytes) / fromSrc.min).toFixed(1)}%`]);
  table(
    "   Top contributors (minified bytes in the write bundle, esbuild metafile)",
    ["input", "minified", "share"],
    [
      ...top,
      [
        `(${entries.length - top.length} more inputs)`,
        kib(entries.slice(15).reduce((n, e) => n + e.bytes, 0)),
        "",
      ],
    ],
  );
}
