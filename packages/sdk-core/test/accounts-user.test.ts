import { describe, expect, it } from "vitest";
import { deleteUser, readAccounts, ServerError, TypeValidationError } from "../src/index.ts";
import { CLAIMS } from "./support/claims.ts";
import { APPLICATION_ID, contractDetails, PUSH_ACCOUNT } from "./support/fake-digime.ts";
import { sdkFor, useFakeDigime } from "./support/use-fake-digime.ts";

const fake = useFakeDigime();

const sdk = () => sdkFor(fake);
const config = () => ({ applicationId: APPLICATION_ID, baseUrl: fake.baseUrl });
const options = (extra: Record<string, unknown> = {}) => ({
  contractDetails: { contractId: contractDetails.contractId, privateKey: contractDetails.privateKey },
  userAccessToken: fake.issueTokens(),
  ...extra,
});
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => Promise.reject(new Error("resolved")),
    (e) => e,
  );

describe("readAccounts", () => {
  it("GETs permission-access/accounts with the token's JWT and returns the accounts as given", async () => {
    const account = {
      ...PUSH_ACCOUNT,
      accessTokenStatus: { authorized: true, expiresAt: 1 },
      username: "u",
      x: [1],
    };
    fake.accounts = [account];
    try {
      const input = options();
      const result = await sdk().readAccounts(input);
      expect(result).toEqual({ accounts: [account], userAccessToken: input.userAccessToken });
      const [seen] = fake.requests;
      expect(seen?.route).toBe("accounts");
      expect(seen?.headers.accept).toBe("application/json");
      expect(Object.keys(seen?.claims ?? {})).toEqual(CLAIMS.user);
      expect(seen?.claims?.access_token).toBe(input.userAccessToken.accessToken.value);
    } finally {
      fake.accounts = [PUSH_ACCOUNT];
    }
  });

  it("refreshes once on 401 InvalidToken and returns the new token (standalone too)", async () => {
    const input = options();
    fake.expire(input.userAccessToken.accessToken.value);
    const changes: unknown[] = [];
    const result = await readAccounts(config(), {
      ...input,
      onAccessTokenChange: (t) => void changes.push(t),
    });
    expect(result.accounts).toEqual([PUSH_ACCOUNT]);
    expect(result.userAccessToken.accessToken.value).not.toBe(input.userAccessToken.accessToken.value);
    expect(changes).toEqual([result.userAccessToken]);
    expect(fake.requests.map((r) => r.route).filter((r) => r !== "jwks")).toEqual([
      "accounts",
      "token",
      "accounts",
    ]);
  });

  const bad: [string, unknown][] = [
    ["not an array", { accounts: [] }],
    ["an account without id", [{ ...PUSH_ACCOUNT, id: undefined }]],
    ["a createdDate that is no number", [{ ...PUSH_ACCOUNT, createdDate: "2024" }]],
    ["an unknown type", [{ ...PUSH_ACCOUNT, type: "SOMETHING" }]],
    ["a bad accessTokenStatus", [{ ...PUSH_ACCOUNT, accessTokenStatus: { authorized: "yes" } }]],
    ["null", null],
  ];
  for (const [name, answer] of bad) {
    it(`refuses an answer that is ${name} (INVALID_RESPONSE)`, async () => {
      fake.accounts = answer;
      try {
        const error = await failure(sdk().readAccounts(options()));
        expect(error).toBeInstanceOf(ServerError);
        expect(error).toMatchObject({ code: "INVALID_RESPONSE" });
      } finally {
        fake.accounts = [PUSH_ACCOUNT];
      }
    });
  }
});

describe("digi.me's errors in X-Error-* headers", () => {
  it("are read when there is no body, redacted like a body's", async () => {
    const input = options();
    fake.script("accounts", {
      raw: (_req, res) =>
        res
          .writeHead(403, {
            "X-Error-Code": "InsufficientScope",
            "X-Error-Message": `no (${input.userAccessToken.accessToken.value})`,
            "X-Error-Reference": "ref-9",
          })
          .end(),
    });
    const error = await failure(sdk().readAccounts(input));
    expect(error).toMatchObject({
      name: "ServerError",
      status: 403,
      code: "InsufficientScope",
      reference: "ref-9",
    });
    expect(error.message).toContain("no ([redacted])");
  });

  it("the body comes first", async () => {
    fake.script("accounts", {
      status: 400,
      body: { error: { code: "FromBody", message: "body" } },
      headers: { "X-Error-Code": "FromHeader" },
    });
    expect(await failure(sdk().readAccounts(options()))).toMatchObject({ code: "FromBody" });
  });
});

describe("deleteUser", () => {
  it("DELETEs user and returns { deleted: true }; the user's tokens then get 401 InvalidToken", async () => {
    const input = options();
    expect(await sdk().deleteUser(input)).toEqual({ deleted: true });
    const [seen] = fake.requests;
    expect(seen?.route).toBe("deleteUser");
    expect(seen?.path).toBe("/v1.7/user");
    expect(Object.keys(seen?.claims ?? {})).toEqual(CLAIMS.user);
    const error = await failure(sdk().readAccounts(input));
    // The access token is gone, so is the refresh token: the refresh is refused as digi.me does.
    expect(error).toMatchObject({ name: "ServerError", status: 401, code: "InvalidToken" });
  });

  it("any 2xx is success, whatever its body; readAccounts, which needs its JSON, refuses a text answer", async () => {
    const text = {
      raw: (_req: unknown, res: import("node:http").ServerResponse) => res.writeHead(200).end("OK"),
    };
    fake.script("deleteUser", text);
    expect(await sdk().deleteUser(options())).toEqual({ deleted: true });
    fake.script("accounts", text);
    const error = await failure(sdk().readAccounts(options()));
    expect(error).toMatchObject({ name: "ServerError", code: "INVALID_RESPONSE" });
  });

  it("refreshes once on 401 InvalidToken (standalone)", async () => {
    const input = options();
    fake.expire(input.userAccessToken.accessToken.value);
    expect(await deleteUser(config(), input)).toEqual({ deleted: true });
    expect(fake.requests.map((r) => r.route).filter((r) => r !== "jwks")).toEqual([
      "deleteUser",
      "token",
      "deleteUser",
    ]);
  });
});

describe("readAccounts and deleteUser: bad options are refused before any request", () => {
  const cases: [string, Record<string, unknown>, (string | number)[]][] = [
    ["no token", { userAccessToken: undefined }, ["userAccessToken"]],
    [
      "a token without refresh token",
      { userAccessToken: { accessToken: { value: "a", expiry: 1 } } },
      ["userAccessToken", "refreshToken"],
    ],
    ["no contract", { contractDetails: undefined }, ["contractDetails"]],
    [
      "a contract id with a slash",
      { contractDetails: { ...contractDetails, contractId: "a/b" } },
      ["contractDetails", "contractId"],
    ],
    ["a bad signal", { signal: {} }, ["signal"]],
    ["a bad refresh", { refresh: 1 }, ["refresh"]],
  ];
  for (const [name, extra, path] of cases) {
    it(name, async () => {
      for (const call of [sdk().readAccounts, sdk().deleteUser]) {
        const error = await failure(call(options(extra) as never));
        expect(error).toBeInstanceOf(TypeValidationError);
        expect(error.issues.map((i: { path: unknown }) => i.path)).toContainEqual(path);
      }
      expect(fake.requests).toHaveLength(0);
    });
  }
});
