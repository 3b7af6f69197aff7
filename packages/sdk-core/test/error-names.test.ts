import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import * as source from "../src/index.ts";

const CLASSES = [
  "DigiMeSDKError",
  "TypeValidationError",
  "ServerError",
  "SDKInvalidError",
  "TokenVerificationError",
  "NetworkError",
  "DataRequiredError",
  "ResealRequiredError",
] as const;

const token = { accessToken: { value: "a", expiry: 1 }, refreshToken: { value: "r", expiry: 1 } };
const options = { status: 400, userAccessToken: token };

// biome-ignore lint/suspicious/noExplicitAny: each class is built the same way here.
type Ctor = new (message: string, options: any) => Error;

function names(module: Record<string, unknown>): string[] {
  return CLASSES.map((name) => new (module[name] as Ctor)("m", options).name);
}

const dir = mkdtempSync(join(tmpdir(), "sdk-core-names-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("error names", () => {
  it("are the class names", () => {
    expect(names(source)).toEqual([...CLASSES]);
  });

  it("are the class names in a minified bundle too (class names do not survive minification)", async () => {
    const result = await build({
      entryPoints: [join(import.meta.dirname, "../src/index.ts")],
      bundle: true,
      minify: true,
      format: "esm",
      platform: "neutral",
      mainFields: ["module", "main"],
      write: false,
    });
    const file = join(dir, "index.min.mjs");
    writeFileSync(file, result.outputFiles[0]?.text ?? "");
    const minified = await import(/* @vite-ignore */ pathToFileURL(file).href);
    expect(names(minified)).toEqual([...CLASSES]);
  });

  it("a subclass of the caller's names itself", () => {
    class AppError extends source.DigiMeSDKError {}
    expect(new AppError("m").name).toBe("AppError");
  });
});
