/**
 * The Worker's one list of settings (`src/settings.ts`) against every other place that names
 * them: `wrangler.jsonc` (what `wrangler dev` loads from `.dev.vars`), the README's Settings table,
 * the deploy commands of both READMEs, and the validation's defaults.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.ts";
import { localValueOf, SETTING_NAMES, SETTINGS, type Setting, type SettingName } from "../../src/settings.ts";

const read = (path: string) => readFileSync(new URL(path, import.meta.url), "utf8");
// Whole-line comments only: values hold `//` (URLs).
const wrangler = JSON.parse(read("../../wrangler.jsonc").replace(/^\s*\/\/.*$/gm, "")) as {
  vars: Record<string, string>;
  secrets: { required: string[] };
};
const workerReadme = read("../../README.md");
const rootReadme = read("../../../../README.md");

const setting = (name: SettingName): Setting => SETTINGS[name];
const secrets = SETTING_NAMES.filter((name) => setting(name).secret);
const vars = SETTING_NAMES.filter((name) => !setting(name).secret);

/** The lines of `markdown`'s section under the heading `heading`, up to the next heading. */
function section(markdown: string, heading: string): string[] {
  const lines = markdown.split("\n");
  const start = lines.indexOf(heading);
  expect(start, `${heading} is in the README`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((line, i) => i > start && /^#{1,3} /.test(line));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** The cells of the first table in `lines`, header and separator left out. */
function tableRows(lines: string[]): string[][] {
  const first = lines.findIndex((line) => line.startsWith("|"));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(
      line
        .slice(1, -1)
        .split(" | ")
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/** The settings a README's `wrangler deploy` commands set: `--var NAME:` and `secret put NAME`. */
function deployCommands(markdown: string): { vars: string[]; secrets: string[] } {
  return {
    vars: [...markdown.matchAll(/--var ([A-Z_]+):/g)].map((m) => m[1] as string),
    secrets: [...markdown.matchAll(/wrangler secret put ([A-Z_]+)/g)].map((m) => m[1] as string),
  };
}

describe("the Worker's settings: one list", () => {
  it("wrangler.jsonc declares exactly the list: the secrets as required, the others in vars", () => {
    expect(wrangler.secrets.required).toEqual(secrets);
    expect(Object.keys(wrangler.vars)).toEqual(vars);
  });

  it("wrangler.jsonc's vars hold each setting's local value, else its default", () => {
    expect(wrangler.vars).toEqual(Object.fromEntries(vars.map((name) => [name, localValueOf(name)])));
  });

  it("every setting has a description; every setting without a local value has a default or is secret", () => {
    for (const name of SETTING_NAMES) {
      expect(setting(name).description, name).not.toBe("");
      if (!setting(name).secret) expect(localValueOf(name), name).toBeDefined();
    }
  });

  it("the Worker's defaults are the list's: a setting given its default changes nothing", () => {
    const required = {
      DIGIME_APPLICATION_ID: "app",
      DIGIME_CONTRACT_ID: "contract",
      DIGIME_PRIVATE_KEY: "-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----",
      DIGIME_REDIRECT_URI: "https://edge.example/auth/callback",
      DIGIME_BASE_URL: "https://api.example/v1.7/",
      DIGIME_ONBOARD_URL: "https://api.example/apps/saas/",
      SESSION_SECRET: "Xq3-Lm9_Zp2+Rt7/Wv5=Ny8.Kc4~Bh6!",
    };
    expect(Object.keys(required).sort()).toEqual(
      SETTING_NAMES.filter((name) => setting(name).default === undefined).sort(),
    );
    const unset = parseConfig(required);
    for (const name of SETTING_NAMES) {
      const value = setting(name).default;
      if (value === undefined) continue;
      expect(parseConfig({ ...required, [name]: value }), name).toEqual(unset);
      // A control that the comparison sees a setting's value (except where any value is the default).
      if (value !== "" && name !== "DIGIME_WRITE_API") {
        expect(parseConfig({ ...required, [name]: `${Number(value) + 1}` }), name).not.toEqual(unset);
      }
    }
  });

  it("the README's Settings table lists exactly the list: name, kind, default and meaning", () => {
    const rows = tableRows(section(workerReadme, "## Settings"));
    const expected = SETTING_NAMES.map((name) => {
      const { secret, default: value, description } = setting(name);
      const shown = value === undefined ? "required" : value === "" ? "empty" : `\`${value}\``;
      return [`\`${name}\``, secret ? "**secret**" : "var", shown, description];
    });
    expect(rows).toEqual(expected);
  });

  it("the root README points to that table instead of listing the settings", () => {
    const lines = section(rootReadme, "## The Worker: settings and deployment").join("\n");
    expect(lines).toContain("(packages/edge-worker/README.md#settings)");
    const prose = lines.replace(/```[\s\S]*?```/g, "");
    expect(SETTING_NAMES.filter((name) => prose.includes(name))).toEqual([]);
  });

  it.each([
    ["the root README", rootReadme],
    ["the Worker's README", workerReadme],
  ])("%s's deploy commands put the secrets and set every required var, and name only settings", (_, text) => {
    const deploy = deployCommands(text);
    expect(deploy.secrets).toEqual(secrets);
    expect(deploy.vars.filter((name) => !(vars as string[]).includes(name))).toEqual([]);
    const required = vars.filter((name) => setting(name).default === undefined);
    expect(required.filter((name) => !deploy.vars.includes(name))).toEqual([]);
  });
});
