import { request } from "node:http";
import vectors from "@digime-edge/fixtures/official-v8.json" with { type: "json" };
import official16 from "@digime-edge/fixtures/official-v16-requests.json" with { type: "json" };
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clockFrom, type IdKind, type RunningEmulator } from "../src/index.ts";
import { Client } from "./support/client.ts";
import { userFiles } from "./support/import.ts";
import { sha256 } from "./support/protocol.ts";

/** One request as the official SDK 16.1.5 sent it (see `@digime-edge/fixtures`). */
interface Recorded {
  call: string;
  method: string;
  path: string;
  headers: Partial<Record<string, string>>;
  bodyBase64: string;
}

const v16: Omit<typeof official16, "requests"> & { requests: Recorded[] } = official16;
const contractKey = vectors.keys.contract.publicPkcs1;

const byCall = (call: string) => {
  const found = v16.requests.find((r) => r.call === call);
  if (!found) throw new Error(`no recorded ${call}`);
  return found;
};
const claimsOf = (r: Recorded) => decodeJwt((r.headers.authorization ?? "").replace(/^Bearer /, ""));

/** Sends a recorded request byte for byte (its headers as recorded; chunked stays chunked). */
const replay = (emu: RunningEmulator, r: Recorded) =>
  new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request(new URL(r.path, emu.url), { method: r.method, headers: r.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on("error", reject);
    req.end(Buffer.from(r.bodyBase64, "base64"));
  });

// The values the stand-in responded with, which the later requests name: the emulator makes them.
const exchange = claimsOf(byCall("exchangeCodeForToken"));
const pushAccount = v16.answers.accounts[0] as { id: string; reference: string };
const chosen: Partial<Record<IdKind, string[]>> = {
  authorizationCode: [String(exchange.code)],
  accessToken: ["access-0", "access-1"],
  refreshToken: ["refresh-0", "refresh-1"],
  pushAccount: [pushAccount.id],
  pushAccountReference: [pushAccount.reference],
};

let emu: RunningEmulator;
let client: Client;
let userId: string;

beforeAll(async () => {
  const { startEmulator } = await import("../src/index.ts");
  emu = await startEmulator({
    memory: true,
    autoApprove: true,
    now: clockFrom(v16.recordedAt),
    ids: (kind) => chosen[kind]?.shift(),
    contracts: [
      {
        applicationId: v16.applicationId,
        contractId: v16.contractId,
        publicKey: contractKey,
        redirectUri: v16.callback,
        writeApi: "import",
      },
    ],
  });
  client = new Client(emu, `${v16.applicationId}_${v16.contractId}`);
});
afterAll(() => emu?.close());

describe("the official SDK 16.1.5's recorded requests, replayed", () => {
  it("has the requests this test expects, in order", () => {
    expect(v16.requests.map((r) => r.call)).toEqual([
      "getAuthorizeUrl",
      "exchangeCodeForToken",
      "pushData library",
      "pushData provider",
      "readAccounts",
      "pushData library (stale token, answered 401)",
      "refresh after 401",
      "pushData library again with the new token",
      "deleteUser",
    ]);
  });

  it("accepts the authorization (v10: redirect_uri = callback, state) and the push sign-in", async () => {
    const res = await replay(emu, byCall("getAuthorizeUrl"));
    expect(res.status).toBe(200);
    const payload = await client.verify((JSON.parse(res.body) as { token: string }).token);
    // The SDK sends the user to {onboardUrl}authorize?code=…&sourceType=push.
    const consent = await fetch(
      `${emu.onboardUrl}authorize?code=${payload.preauthorization_code}&sourceType=push`,
      { redirect: "manual" },
    );
    expect(consent.status).toBe(302);
    const back = new URL(consent.headers.get("location") ?? "");
    expect(`${back.origin}${back.pathname}`).toBe(v16.callback);
    expect(Object.fromEntries(back.searchParams)).toEqual({
      success: "true",
      code: exchange.code,
      state: claimsOf(byCall("getAuthorizeUrl")).state,
      accountReference: pushAccount.reference,
    });
  });

  it("accepts the code exchange (no Content-Type, empty body)", async () => {
    const res = await replay(emu, byCall("exchangeCodeForToken"));
    expect(res.status).toBe(200);
    const tokens = (await client.verify((JSON.parse(res.body) as { token: string }).token)) as {
      access_token: { value: string };
      sub: string;
      consentid: string;
    };
    expect(tokens.access_token.value).toBe("access-0");
    expect(tokens.consentid).toMatch(/^consent_/);
    userId = tokens.sub;
  });

  it("accepts the chunked library push and stores its exact bytes with the descriptor", async () => {
    const recorded = byCall("pushData library");
    expect(recorded.headers["transfer-encoding"]).toBe("chunked");
    const res = await replay(emu, recorded);
    expect(res.status).toBe(200);
    const [file] = await userFiles(emu, userId);
    const bytes = Buffer.from(recorded.bodyBase64, "base64");
    expect(file).toMatchObject({
      source: "import",
      size: bytes.length,
      sha256: sha256(bytes),
      metadata: decodeJwt(recorded.headers.filedescriptor ?? "").metadata,
    });
  });

  it("accepts the FHIR push to the PUSH account", async () => {
    const recorded = byCall("pushData provider");
    const res = await replay(emu, recorded);
    expect(res.status).toBe(200);
    const [file] = await userFiles(emu, userId);
    expect(file).toMatchObject({ source: "fhir", accountId: recorded.headers.accountid });
    expect(file?.sha256).toBe(sha256(Buffer.from(recorded.bodyBase64, "base64")));
  });

  it("returns the accounts to readAccounts, the PUSH one as recorded", async () => {
    const res = await replay(emu, byCall("readAccounts"));
    expect(res.status).toBe(200);
    const accounts = JSON.parse(res.body) as Record<string, unknown>[];
    const {
      createdDate: _c,
      updatedDate: _u,
      ...stable
    } = v16.answers.accounts[0] as Record<string, unknown>;
    expect(accounts.find((a) => a.id === pushAccount.id)).toMatchObject(stable);
  });

  it("responds to the stale token with 401 InvalidToken, takes the refresh, and the resend", async () => {
    const stale = await replay(emu, byCall("pushData library (stale token, answered 401)"));
    expect(stale.status).toBe(401);
    expect(JSON.parse(stale.body).error.code).toBe("InvalidToken");
    expect(stale.headers["x-error-code"]).toBe("InvalidToken");
    const refreshed = await replay(emu, byCall("refresh after 401"));
    expect(refreshed.status).toBe(200);
    const tokens = await client.verify((JSON.parse(refreshed.body) as { token: string }).token);
    expect((tokens.access_token as { value: string }).value).toBe("access-1");
    const again = await replay(emu, byCall("pushData library again with the new token"));
    expect(again.status).toBe(200);
    const imports = (await userFiles(emu, userId)).filter((f) => f.source === "import");
    expect(imports).toHaveLength(2);
    expect(imports[0]?.sha256).toBe(imports[1]?.sha256);
  });

  it("accepts the deletion; the user is gone", async () => {
    const res = await replay(emu, byCall("deleteUser"));
    expect(res.status).toBeGreaterThanOrEqual(200);
    expect(res.status).toBeLessThan(300);
    expect(emu.store.getUser(userId)).toBeUndefined();
  });
});
