import { readFileSync } from "node:fs";
import vectors from "@digime-edge/fixtures/official-v8.json" with { type: "json" };
import { afterEach, describe, expect, it, vi } from "vitest";
import { resolveConfig } from "../src/config.ts";
import {
  DEFAULT_BASE_URL,
  init,
  isPathSegment,
  SDK_NAME,
  SDK_VERSION,
  TypeValidationError,
} from "../src/index.ts";
import { parseInput } from "../src/internal/checks.ts";
import { isFileName, userAccessTokenSchema } from "../src/internal/fields.ts";

afterEach(() => {
  vi.unstubAllGlobals();
});

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TypeValidationError);
    return (error as TypeValidationError).issues.map((i) => ({ path: i.path.join("."), message: i.message }));
  }
  throw new Error("expected a TypeValidationError");
}

// `isPathSegment` as the package exports it: the rule `init` applies to ids.
describe("ids that would change the URL path are refused", () => {
  const bad = [
    "",
    "a/b",
    "a\\b",
    "a?b",
    "a#b",
    "..",
    "a..b",
    ".",
    "a%2Fb",
    "a b",
    "a\tb",
    "a\nb",
    "a\u0000b",
    "a\u007fb",
    "a\ud800",
    "\udc00b",
  ];
  for (const id of bad) {
    it(JSON.stringify(id), () => {
      expect(isPathSegment(id)).toBe(false);
      expect(issuesOf(() => init({ applicationId: id }))[0]?.path).toBe("applicationId");
    });
  }
  it("ordinary ids pass", () => {
    for (const id of ["abc", "A-b_c.d~e", "5f2e3c1a-0b1c-4d5e-8f90-123456789abc", "a.b", "é𝄞"])
      expect(isPathSegment(id)).toBe(true);
  });
});

describe("file names", () => {
  it("refuses path separators and control characters, accepts the rest", () => {
    for (const name of ["", "a/b", "a\\b", "a\rb", "a\u0000", ".."]) expect(isFileName(name)).toBe(false);
    for (const name of ["a.txt", 'quote".txt', "ü €.pdf", "name with spaces.json"])
      expect(isFileName(name)).toBe(true);
  });
});

describe("init options", () => {
  it("fills in the defaults", () => {
    const config = resolveConfig({ applicationId: "app" });
    expect(config.baseUrl).toBe(DEFAULT_BASE_URL);
    expect(config.onboardUrl).toBe("https://api.digi.me/apps/saas/");
    expect([...config.trustedKeyOrigins]).toEqual(["https://api.digi.me"]);
    expect(config.retry).toEqual({
      limit: 2,
      baseDelayMs: 300,
      maxDelayMs: 10_000,
      maxRetryAfterMs: 60_000,
      resendWhenUnknown: false,
    });
    expect(config.timeoutMs).toBe(30_000);
  });

  it("keeps the default of a retry option given as undefined", () => {
    const config = resolveConfig({ applicationId: "app", retry: { limit: undefined, baseDelayMs: 5 } });
    expect(config.retry).toEqual({
      limit: 2,
      baseDelayMs: 5,
      maxDelayMs: 10_000,
      maxRetryAfterMs: 60_000,
      resendWhenUnknown: false,
    });
  });

  it("adds the trailing slash, and trusts the origin of baseUrl for key sets", () => {
    const config = resolveConfig({
      applicationId: "app",
      baseUrl: "http://127.0.0.1:8787/v1.7",
      onboardUrl: "https://o.example/x",
    });
    expect(config.baseUrl).toBe("http://127.0.0.1:8787/v1.7/");
    expect(config.onboardUrl).toBe("https://o.example/x/");
    expect([...config.trustedKeyOrigins]).toEqual(["http://127.0.0.1:8787"]);
  });

  it("takes trusted key origins instead of the default", () => {
    const config = resolveConfig({
      applicationId: "app",
      trustedKeyOrigins: ["https://keys.example", "https://b.example:8443/"],
    });
    expect([...config.trustedKeyOrigins]).toEqual(["https://keys.example", "https://b.example:8443"]);
  });

  it("retry: false means one attempt", () => {
    expect(resolveConfig({ applicationId: "app", retry: false }).retry.limit).toBe(0);
    expect(resolveConfig({ applicationId: "app", retry: { limit: 5 } }).retry).toMatchObject({
      limit: 5,
      baseDelayMs: 300,
    });
  });

  const bad: [Record<string, unknown>, string][] = [
    [{}, "applicationId"],
    [{ applicationId: "a", baseUrl: "ftp://x.example/" }, "baseUrl"],
    [{ applicationId: "a", baseUrl: "api.digi.me/v1.7/" }, "baseUrl"],
    [{ applicationId: "a", baseUrl: "https://user:pw@api.digi.me/" }, "baseUrl"],
    [{ applicationId: "a", baseUrl: "https://api.digi.me/?x=1" }, "baseUrl"],
    [{ applicationId: "a", onboardUrl: "https://api.digi.me/#f" }, "onboardUrl"],
    [{ applicationId: "a", fetch: "fetch" }, "fetch"],
    [{ applicationId: "a", trustedKeyOrigins: ["https://keys.example/path"] }, "trustedKeyOrigins.0"],
    [{ applicationId: "a", trustedKeyOrigins: ["https://u:p@keys.example"] }, "trustedKeyOrigins.0"],
    [{ applicationId: "a", retry: { limit: -1 } }, "retry.limit"],
    [{ applicationId: "a", retry: { resendWhenUnknown: "yes" } }, "retry.resendWhenUnknown"],
    [{ applicationId: "a", timeoutMs: 0 }, "timeoutMs"],
  ];
  for (const [options, path] of bad) {
    it(`refuses ${JSON.stringify(options)}`, () => {
      expect(issuesOf(() => init(options as never)).map((i) => i.path)).toContain(path);
    });
  }

  it("binds the default fetch to globalThis", async () => {
    let self: unknown;
    vi.stubGlobal("fetch", function (this: unknown) {
      self = this;
      return Promise.resolve(Response.json({ token: "x" }));
    });
    const sdk = init({ applicationId: "app", retry: false });
    await sdk
      .refreshToken({
        contractDetails: {
          contractId: "c",
          privateKey: vectors.keys.contract.privatePkcs1,
          redirectUri: "https://a.example/",
        },
        userAccessToken: { accessToken: { value: "a", expiry: 1 }, refreshToken: { value: "r", expiry: 1 } },
      })
      .catch(() => {});
    expect(self).toBe(globalThis);
  });

  it("says so clearly when there is no fetch", () => {
    vi.stubGlobal("fetch", undefined);
    const error = (() => {
      try {
        init({ applicationId: "app" });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(TypeValidationError);
    expect(error).toMatchObject({ code: "NO_FETCH", issues: [{ path: ["fetch"] }] });
  });
});

describe("parseInput", () => {
  it("names every bad field by path, never echoing a value", () => {
    const secret = "super-secret-token-value";
    const issues = issuesOf(() =>
      parseInput(userAccessTokenSchema, { accessToken: { value: 12345, expiry: secret } }, "the token"),
    );
    expect(issues).toEqual([
      { path: "accessToken.value", message: "must be string, not number" },
      { path: "accessToken.expiry", message: "must be number, not string" },
      { path: "refreshToken", message: "is required" },
    ]);
    try {
      parseInput(userAccessTokenSchema, { accessToken: { value: 12345, expiry: secret } }, "the token");
    } catch (error) {
      expect(`${String(error)} ${JSON.stringify(error)}`).not.toContain(secret);
      expect((error as Error).message).toContain("accessToken.expiry must be number, not string");
    }
  });
});

describe("version", () => {
  it("matches package.json", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(SDK_NAME).toBe(pkg.name);
    expect(SDK_VERSION).toBe(pkg.version);
  });
});
