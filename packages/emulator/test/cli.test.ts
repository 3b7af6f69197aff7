import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { DEFAULT_PORT, parseCliArgs, parseDuration, runCli } from "../src/cli.ts";

/** What `fn` throws; fails the test when it returns. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw, but it returned");
}

describe("cli", () => {
  it("parses durations", () => {
    expect(parseDuration("90")).toBe(90_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("15m")).toBe(900_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration("30d")).toBe(2_592_000_000);
    expect(thrown(() => parseDuration("soon"))).toEqual(
      new TypeError("Not a duration: soon (try 90s, 15m, 1h)"),
    );
    expect(thrown(() => parseDuration("0"))).toEqual(new TypeError("A duration must be positive: 0"));
  });

  it("parses flags with defaults", () => {
    const d = parseCliArgs([]);
    expect(d).toMatchObject({
      port: DEFAULT_PORT,
      host: "127.0.0.1",
      memory: false,
      autoApprove: false,
      devContract: true,
    });
    expect(d.dataDir).toMatch(/packages\/emulator\/\.data$/);
    const o = parseCliArgs([
      "--port=0",
      "--data",
      "/tmp/x",
      "--auto-approve",
      "--access-token-ttl",
      "30s",
      "--no-dev-contract",
      "--key-set-format",
      "jwk",
      "--seed",
      "5",
    ]);
    expect(o).toMatchObject({
      port: 0,
      dataDir: "/tmp/x",
      autoApprove: true,
      accessTokenTtlMs: 30_000,
      devContract: false,
      keySetFormat: "jwk",
      faultSeed: 5,
    });
    expect(parseCliArgs(["--memory"]).devContract).toBe(false);
    expect(thrown(() => parseCliArgs(["--port", "x"]))).toEqual(new TypeError("Not a port: x"));
    // node:util's parseArgs refuses an unknown option.
    expect(thrown(() => parseCliArgs(["--bogus"]))).toMatchObject({
      name: "TypeError",
      code: "ERR_PARSE_ARGS_UNKNOWN_OPTION",
    });
    expect(thrown(() => parseCliArgs(["--key-set-format", "xml"]))).toEqual(
      new TypeError("--key-set-format is pem, jwk or both, not xml"),
    );
  });

  it("takes the dev contract's write API from --write-api or DIGIME_EMULATOR_WRITE_API, and --clock", () => {
    expect(parseCliArgs([], {}).writeApi).toBeUndefined();
    expect(parseCliArgs(["--write-api", "import"], {}).writeApi).toBe("import");
    expect(parseCliArgs([], { DIGIME_EMULATOR_WRITE_API: "import" }).writeApi).toBe("import");
    expect(parseCliArgs(["--write-api=postbox"], { DIGIME_EMULATOR_WRITE_API: "import" }).writeApi).toBe(
      "postbox",
    );
    expect(() => parseCliArgs(["--write-api", "sealed"], {})).toThrow(/postbox or import/);
    expect(() => parseCliArgs([], { DIGIME_EMULATOR_WRITE_API: "nope" })).toThrow(/postbox or import/);
    expect(parseCliArgs(["--clock", "1796635706943"], {}).clockStart).toBe(1796635706943);
    expect(parseCliArgs(["--clock", "2026-12-07T09:28:26.943Z"], {}).clockStart).toBe(1796635706943);
    expect(() => parseCliArgs(["--clock", "yesterday"], {})).toThrow(/Not a time/);
  });

  it("runs the dev contract as an import contract with the clock where asked", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "digime-emulator-cli-"));
    const json: string[] = [];
    // The real clock is fake (Date only): the emulator's clock is seen to start where asked, then run on.
    vi.useFakeTimers({ toFake: ["Date"], now: 1_000_000 });
    const emu = await runCli(
      ["--port", "0", "--data", dataDir, "--json", "--write-api", "import", "--clock", "1796635706943"],
      (l) => json.push(l),
    );
    try {
      expect(JSON.parse(json[0] ?? "").devContract).toMatchObject({ writeApi: "import" });
      expect(emu?.store.getContract("dev-app_dev-write-contract")?.writeApi).toBe("import");
      expect(emu?.context.now()).toBe(1796635706943);
      vi.setSystemTime(1_000_000 + 5_000);
      expect(emu?.context.now()).toBe(1796635706943 + 5_000);
    } finally {
      vi.useRealTimers();
      await emu?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("starts with the dev contract, prints its URLs, and stops", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "digime-emulator-cli-"));
    const lines: string[] = [];
    const emu = await runCli(["--port", "0", "--data", dataDir], (l) => lines.push(l));
    try {
      expect(emu).toBeDefined();
      const out = lines.join("\n");
      expect(out).toContain(`baseUrl      ${emu?.baseUrl}`);
      expect(out).toContain(`onboardUrl   ${emu?.onboardUrl}`);
      expect(out).toContain("auto-approve off");
      expect(out).toContain("dev-app");
      expect(emu?.settings.autoApprove).toBe(false);
      expect((await fetch(`${emu?.url}/healthz`)).status).toBe(200);
    } finally {
      await emu?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
    const json: string[] = [];
    const mem = await runCli(["--port", "0", "--memory", "--json", "--auto-approve"], (l) => json.push(l));
    try {
      expect(JSON.parse(json[0] ?? "")).toMatchObject({
        baseUrl: mem?.baseUrl,
        autoApprove: true,
        dataDir: null,
      });
    } finally {
      await mem?.close();
    }
    const help: string[] = [];
    expect(await runCli(["--help"], (l) => help.push(l))).toBeUndefined();
    expect(help.join("")).toContain("--auto-approve");
  });
});
