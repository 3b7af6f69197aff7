import { describe, expect, it } from "vitest";
import {
  ConfigError,
  MIN_SECRET_DISTINCT_CHARS,
  parseConfig,
  SESSION_SECRET_PLACEHOLDER,
} from "../../src/config.ts";
import { completeDescriptor } from "../../src/lib/complete-descriptor.ts";
import { parseDescriptor } from "../../src/lib/descriptor.ts";
import { sanitizeFileName } from "../../src/lib/file-name.ts";
import { resolveReturnTo } from "../../src/lib/return-to.ts";
import { randomId, sign, verify } from "../../src/lib/signing.ts";

const KEY =
  "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----";
const valid = {
  DIGIME_APPLICATION_ID: "app",
  DIGIME_CONTRACT_ID: "contract",
  DIGIME_PRIVATE_KEY: KEY.replace(/\n/g, "\\n"),
  DIGIME_REDIRECT_URI: "https://edge.example/auth/callback",
  DIGIME_BASE_URL: "https://api.example/v1.7",
  DIGIME_ONBOARD_URL: "https://api.example/apps/saas/",
  SESSION_SECRET: "Xq3-Lm9_Zp2+Rt7/Wv5=Ny8.Kc4~Bh6!",
  ALLOWED_ORIGINS: " https://app.example, http://localhost:5173 ",
};

describe("parseConfig", () => {
  it("normalises settings and applies defaults", () => {
    const config = parseConfig(valid);
    expect(config.privateKey).toBe(KEY);
    expect(config.baseUrl).toBe("https://api.example/v1.7/");
    expect([...config.allowedOrigins]).toEqual(["https://app.example", "http://localhost:5173"]);
    expect(config.maxUploadBytes).toBe(100 * 1024 * 1024);
    expect(config.rateLimitPerMinute).toBe(60);
    expect(config.writeApi).toBe("postbox");
  });

  it.each(["postbox", "import", " import "])("takes DIGIME_WRITE_API %j", (api) => {
    expect(parseConfig({ ...valid, DIGIME_WRITE_API: api }).writeApi).toBe(api.trim());
  });

  it.each([
    "https://edge.example/auth/callback",
    " https://custom-domain.example/auth/callback ",
    "http://127.0.0.1:8787/auth/callback",
  ])("takes the redirect URI %s on any host", (uri) => {
    expect(parseConfig({ ...valid, DIGIME_REDIRECT_URI: uri }).redirectUri).toBe(uri.trim());
  });

  it.each([
    ["DIGIME_APPLICATION_ID", undefined],
    // Whether it is a key is sdk-core's check, made by withConfig (test/refusals.test.ts).
    ["DIGIME_PRIVATE_KEY", "   "],
    ["DIGIME_BASE_URL", "ftp://x"],
    ["DIGIME_CONTRACT_ID", undefined],
    ["DIGIME_REDIRECT_URI", "nope"],
    ["DIGIME_REDIRECT_URI", "https://edge.example/callback"],
    ["DIGIME_REDIRECT_URI", "https://edge.example/auth/callback?next=/x"],
    ["DIGIME_REDIRECT_URI", "https://edge.example/auth/callback#frag"],
    ["DIGIME_ONBOARD_URL", "mailto:onboard@example"],
    ["SESSION_SECRET", "short-secret-value"],
    // The example file's placeholder, and secrets of too little variety.
    ["SESSION_SECRET", SESSION_SECRET_PLACEHOLDER],
    ["SESSION_SECRET", "s".repeat(32)],
    ["SESSION_SECRET", "abcabcabcabcabcabcabcabcabcabcabcabc"],
    ["SESSION_SECRET", "0123456".repeat(8)],
    ["ALLOWED_ORIGINS", "https://app.example/path"],
    ["MAX_UPLOAD_BYTES", "12abc"],
    ["RATE_LIMIT_PER_MINUTE", "0"],
    ["BODY_TIMEOUT_SECONDS", "1.5"],
    ["DIGIME_WRITE_API", "Import"],
    ["DIGIME_WRITE_API", "pushData"],
    // Plain http only on loopback hosts.
    ["DIGIME_BASE_URL", "http://api.example/v1.7/"],
    ["DIGIME_ONBOARD_URL", "http://api.example/apps/saas/"],
    ["DIGIME_REDIRECT_URI", "http://edge.example/auth/callback"],
    ["DIGIME_BASE_URL", "http://127.0.0.1.nip.example/v1.7/"],
    ["DIGIME_BASE_URL", "http://localhost.example/v1.7/"],
    ["ALLOWED_ORIGINS", "https://app.example,http://app.example"],
    ["ALLOWED_ORIGINS", "http://10.0.0.1:5173"],
  ])("names %s without its value", (setting, value) => {
    let error: unknown;
    try {
      parseConfig({ ...valid, [setting]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).settings).toEqual([setting]);
    expect((error as ConfigError).message).toContain(setting);
    if (value) expect((error as ConfigError).message).not.toContain(value);
  });
});

describe("SESSION_SECRET variety", () => {
  it("takes a secret with just enough different characters, refuses one fewer", () => {
    const enough = "01234567".repeat(4);
    expect(new Set(enough).size).toBe(MIN_SECRET_DISTINCT_CHARS);
    expect(parseConfig({ ...valid, SESSION_SECRET: enough }).sessionSecret).toBe(enough);
    const fewer = "0123456".repeat(5);
    expect(() => parseConfig({ ...valid, SESSION_SECRET: fewer })).toThrow(ConfigError);
  });
});

describe("plain http on loopback hosts only", () => {
  it.each([
    "http://127.0.0.1:8089",
    "http://127.255.1.2",
    "http://127.1",
    "http://localhost:8089",
    "http://LOCALHOST",
    "http://[::1]:8089",
    "https://api.example",
  ])("takes %s for every URL setting", (root) => {
    const config = parseConfig({
      ...valid,
      DIGIME_BASE_URL: `${root}/v1.7/`,
      DIGIME_ONBOARD_URL: `${root}/apps/saas/`,
      DIGIME_REDIRECT_URI: `${root}/auth/callback`,
      ALLOWED_ORIGINS: new URL(root).origin,
    });
    expect(config.baseUrl).toBe(`${root}/v1.7/`);
    expect([...config.allowedOrigins]).toEqual([new URL(root).origin]);
  });

  it.each([
    "http://0.0.0.0",
    "http://[::2]",
    "http://192.168.1.10",
    "http://edge.example",
    "http://128.0.0.1",
  ])("refuses %s in every URL setting, naming each", (root) => {
    let error: unknown;
    try {
      parseConfig({
        ...valid,
        DIGIME_BASE_URL: `${root}/v1.7/`,
        DIGIME_ONBOARD_URL: `${root}/apps/saas/`,
        DIGIME_REDIRECT_URI: `${root}/auth/callback`,
        ALLOWED_ORIGINS: root,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).settings.sort()).toEqual([
      "ALLOWED_ORIGINS",
      "DIGIME_BASE_URL",
      "DIGIME_ONBOARD_URL",
      "DIGIME_REDIRECT_URI",
    ]);
    expect((error as ConfigError).message).toContain("https");
  });
});

describe("resolveReturnTo", () => {
  const self = "https://edge.example";
  const allowed = new Set(["https://app.example"]);
  it.each([
    [undefined, "https://edge.example/"],
    ["/done?x=1#y", "https://edge.example/done?x=1#y"],
    ["https://app.example/after", "https://app.example/after"],
    ["https://edge.example/x", "https://edge.example/x"],
  ])("accepts %s", (raw, expected) => expect(resolveReturnTo(raw, self, allowed)).toBe(expected));
  it.each([
    "//evil.example/",
    "/\\evil.example",
    "https://evil.example/",
    "https://app.example.evil.example/",
    "javascript:alert(1)",
    "https://user@app.example/",
    "/\t/evil.example",
    "evil.example",
    "data:text/html,hi",
  ])("refuses %s", (raw) => expect(resolveReturnTo(raw, self, allowed)).toBeUndefined());
});

describe("sanitizeFileName", () => {
  it.each([
    ["../../etc/passwd", "passwd"],
    ["C:\\Users\\me\\report.pdf", "report.pdf"],
    ["a\u0000b\nc\u202e.txt", "abc.txt"],
    ["..", "upload"],
    ["  ", "upload"],
    [undefined, "upload"],
    ["ok name.txt", "ok name.txt"],
    // Invisible characters and bidi controls: each would hide or reorder what
    // the name shows.
    ["in\u200bvis\u200ci\u200dble\ufeff.txt", "invisible.txt"],
    ["line\u2028sep\u2029.txt", "linesep.txt"],
    ["\u061cinvoice\u202atxt\u202c.exe", "invoicetxt.exe"],
    ["\u2066\u2067\u2068evil\u2069.pdf", "evil.pdf"],
    ["\u200e\u200f\ufeff", "upload"],
  ])("%j -> %j", (raw, expected) => expect(sanitizeFileName(raw)).toBe(expected));
  it("keeps at most 255 characters", () =>
    expect(sanitizeFileName(`${"x".repeat(300)}.txt`)).toHaveLength(255));
});

describe("descriptor", () => {
  it("accepts the documented fields and completes defaults", () => {
    const parsed = parseDescriptor('{"tags":["a"],"reference":["r"]}');
    expect(parsed.ok).toBe(true);
    expect(
      completeDescriptor(parsed.ok ? parsed.value : undefined, "text/plain; charset=utf-8", "u1"),
    ).toEqual({
      mimeType: "text/plain",
      accounts: [{ accountId: "u1" }],
      tags: ["a"],
      reference: ["r"],
    });
  });
  it.each(['{"mimeType":"nope"}', "not json", '{"accounts":[]}', '{"extra":1}', "[]", '{"tags":"a"}'])(
    "refuses %s",
    (text) => expect(parseDescriptor(text).ok).toBe(false),
  );
});

describe("signing", () => {
  it("round-trips and refuses tampering", async () => {
    const signed = await sign("k".repeat(32), "payload.1");
    expect(await verify("k".repeat(32), signed)).toBe("payload.1");
    expect(await verify("k".repeat(32), signed.replace("payload.1", "payload.2"))).toBeUndefined();
    expect(await verify("j".repeat(32), signed)).toBeUndefined();
    expect(await verify("k".repeat(32), "garbage")).toBeUndefined();
    // A signature cut to 4n+1 characters is no base64: refused, not thrown (it was a 500).
    for (let cut = 1; cut <= 4; cut++)
      expect(await verify("k".repeat(32), signed.slice(0, -cut))).toBeUndefined();
    expect(await verify("k".repeat(32), `${signed.split("~")[0]}~A`)).toBeUndefined();
    // The same MAC in a non-canonical encoding (the last character's spare bits changed).
    const last = signed.at(-1) as string;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const index = alphabet.indexOf(last);
    const twin = alphabet[(index & ~3) | ((index + 1) & 3)] as string;
    expect(await verify("k".repeat(32), `${signed.slice(0, -1)}${twin}`)).toBeUndefined();
    expect(randomId(18)).toMatch(/^[A-Za-z0-9_-]{24}$/);
  });
});
