import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, SESSION_SECRET_PLACEHOLDER } from "../../src/config.ts";

const example = readFileSync(new URL("../../.dev.vars.example", import.meta.url), "utf8");

describe(".dev.vars.example", () => {
  it("its SESSION_SECRET placeholder is the one the Worker refuses", () => {
    const placeholder = /^SESSION_SECRET="([^"]*)"$/m.exec(example)?.[1];
    expect(placeholder).toBe(SESSION_SECRET_PLACEHOLDER);
    let error: unknown;
    try {
      parseConfig({ SESSION_SECRET: placeholder });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).settings).toContain("SESSION_SECRET");
    expect((error as ConfigError).message).not.toContain(placeholder);
  });
});
