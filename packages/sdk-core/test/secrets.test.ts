/**
 * No error carries a private key, an access token or a refresh token: not in its message, its
 * issues, its JSON, its string form, its inspection, nor anywhere along its chain of causes.
 */
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { DigiMeSDKError, ResealRequiredError } from "../src/index.ts";
import { CONTRACT_KEY, contractDetails } from "./support/fake-digime.ts";
import { sdkFor, useFakeDigime, writeOptionsFor } from "./support/use-fake-digime.ts";

const fake = useFakeDigime({ reset: false });

const sdk = (extra: Record<string, unknown> = {}) => sdkFor(fake, { retry: false, ...extra });

// Slices of the private key's base64 body: any of them in an error would be a leak.
const keyBody = CONTRACT_KEY.split("\n").slice(1, -2).join("");
const keySlices = [keyBody.slice(0, 40), keyBody.slice(600, 640), keyBody.slice(-40)];

function surfaces(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
    const e = current as Error & { issues?: unknown };
    parts.push(
      String(e),
      String(e.message),
      JSON.stringify(e) ?? "",
      JSON.stringify(e.issues ?? null),
      inspect(e, { depth: 10 }),
    );
    current = e.cause;
  }
  return parts.join("\n");
}

function expectNoSecret(error: unknown, secrets: string[]) {
  expect(error).toBeInstanceOf(DigiMeSDKError);
  const text = surfaces(error);
  for (const secret of [...secrets, ...keySlices])
    expect(text, `leaked ${secret.slice(0, 8)}…`).not.toContain(secret);
}

const values = (t: { accessToken: { value: string }; refreshToken: { value: string } }) => [
  t.accessToken.value,
  t.refreshToken.value,
];

const writeOptions = (token: unknown, extra: Record<string, unknown> = {}) =>
  writeOptionsFor(
    fake,
    new Uint8Array([1, 2, 3]),
    { mimeType: "x/y", accounts: [{ accountId: "a" }] },
    { userAccessToken: token, ...extra },
  );

describe("no secret in any error", () => {
  it("a private key that does not import (a damaged real key)", async () => {
    const damaged = CONTRACT_KEY.replace(/MII[A-Za-z]/, "MIIZ").replace(/\n[A-Za-z0-9+/]{64}\n/, "\n!!!!\n");
    const token = fake.issueTokens();
    const error = await sdk()
      .write(writeOptions(token, { contractDetails: { ...contractDetails, privateKey: damaged } }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "KEY_IMPORT" });
    expectNoSecret(error, values(token));
    const truncated = CONTRACT_KEY.slice(0, 900);
    const error2 = await sdk()
      .refreshToken({
        contractDetails: { ...contractDetails, privateKey: truncated },
        userAccessToken: token,
      })
      .catch((e: unknown) => e);
    expectNoSecret(error2, values(token));
  });

  it("a private key given where the postbox public key goes", async () => {
    const error = await sdk()
      .write(writeOptions(fake.issueTokens(), { publicKey: CONTRACT_KEY }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "TypeValidationError" });
    expectNoSecret(error, []);
  });

  it("tokens of the wrong shape, and options wrong around real secrets", async () => {
    const token = fake.issueTokens();
    const wrong = {
      accessToken: { value: token.accessToken.value, expiry: token.refreshToken.value },
      refreshToken: token.accessToken,
    };
    for (const options of [
      writeOptions(wrong),
      writeOptions(token, { postboxId: "a/b" }),
      writeOptions(token, { data: { fileData: token.accessToken.value, fileName: "f", fileDescriptor: {} } }),
      writeOptions(token, { contractDetails: { ...contractDetails, contractId: CONTRACT_KEY } }),
    ]) {
      const error = await sdk()
        .write(options)
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: "TypeValidationError" });
      expectNoSecret(error, values(token));
    }
  });

  it("a server error that echoes the tokens, the JWT and a key", async () => {
    const token = fake.issueTokens();
    fake.script("write", {
      raw: (req, res) => {
        res.writeHead(401, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            error: {
              code: "InvalidToken",
              message: `The token (${token.accessToken.value}) is invalid; refresh ${token.refreshToken.value}; sent ${req.headers.authorization}; ${CONTRACT_KEY}`,
              reference: token.accessToken.value,
            },
          }),
        );
      },
    });
    // The 401 makes the write refresh, and the refresh is refused the same way.
    fake.script("token", {
      status: 401,
      body: {
        error: { code: "InvalidToken", message: `refresh token ${token.refreshToken.value} is spent` },
      },
    });
    const error = await sdk()
      .write(writeOptions(token))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ServerError", status: 401, code: "InvalidToken" });
    expectNoSecret(error, [...values(token), "Bearer ey"]);
    const writeRequest = fake.requests.filter((r) => r.route === "write").at(-1);
    expect(surfaces(error)).not.toContain(String(writeRequest?.headers.authorization).slice(7, 60));
  });

  it("RESEAL_REQUIRED carries the new token, but not in its text or JSON", async () => {
    const token = fake.issueTokens();
    fake.expire(token.accessToken.value);
    const stream = new Blob([new Uint8Array(100)]).stream();
    const error = await sdk()
      .write(
        writeOptions(token, {
          data: { fileData: stream, fileName: "f", fileDescriptor: { mimeType: "a/b", accounts: [] } },
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResealRequiredError);
    const fresh = (error as ResealRequiredError).userAccessToken;
    expect(fresh.accessToken.value).toMatch(/^at-/);
    expectNoSecret(error, [...values(token), ...values(fresh)]);
  });

  it("network errors, timeouts and aborts", async () => {
    const token = fake.issueTokens();
    fake.script("write", "drop");
    expectNoSecret(
      await sdk()
        .write(writeOptions(token))
        .catch((e: unknown) => e),
      values(token),
    );
    fake.script("write", { delayMs: 300 });
    expectNoSecret(
      await sdk({ timeoutMs: 50 })
        .write(writeOptions(token))
        .catch((e: unknown) => e),
      values(token),
    );
    expectNoSecret(
      await sdk()
        .write(
          writeOptions(token, {
            signal: AbortSignal.abort(new Error(`reason ${token.accessToken.value}`.replace(/./g, "x"))),
          }),
        )
        .catch((e: unknown) => e),
      values(token),
    );
  });

  it("a forged answer token that carries token values", async () => {
    const token = fake.issueTokens();
    const real = fake.signToken({
      access_token: { value: "leaked-access-value", expires_on: 1 },
      refresh_token: { value: "leaked-refresh-value", expires_on: 1 },
    });
    const [h, p] = real.split(".");
    fake.script("token", {
      status: 200,
      body: { token: `${h}.${p}.${Buffer.from("bad").toString("base64url")}` },
    });
    const error = await sdk()
      .refreshToken({ contractDetails, userAccessToken: token })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "TokenVerificationError" });
    expectNoSecret(error, [...values(token), "leaked-access-value", "leaked-refresh-value"]);
  });

  it("a refresh override that returns something else", async () => {
    const token = fake.issueTokens();
    fake.expire(token.accessToken.value);
    const error = await sdk()
      .write(writeOptions(token, { refresh: async () => ({ accessToken: token.refreshToken.value }) }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "TypeValidationError", issues: [{ path: ["refresh"] }] });
    expectNoSecret(error, values(token));
  });
});
