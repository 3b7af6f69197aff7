/**
 * Entry point for the browser page: reads the target from the page's `#` fragment (JSON), runs the
 * suite and leaves the result on `globalThis.__conformance` for the host (Playwright) to read.
 */
import { describe } from "./harness.ts";
import { runConformance } from "./suite.ts";

const g = globalThis as { __conformance?: unknown; __conformanceError?: string };
runConformance("chromium", JSON.parse(decodeURIComponent(location.hash.slice(1)))).then(
  (result) => {
    g.__conformance = result;
  },
  (error: unknown) => {
    g.__conformanceError = describe(error);
  },
);
