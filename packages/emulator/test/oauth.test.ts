import { constants, createPublicKey, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { RunningEmulator } from "../src/index.ts";
import { Client } from "./support/client.ts";
import { errorOf, start, useEmulator } from "./support/emulator.ts";
import {
  CALLBACK,
  contractKeys,
  makeRsa,
  pkcePair,
  REDIRECT_URI,
  signRequest,
  testContract,
} from "./support/protocol.ts";

let emu: RunningEmulator;
let client: Client;

useEmulator((setup) => ({ emu, client } = setup));

describe("oauth/authorize", () => {
  it("returns a PS512 token with jku/kid and a session", async () => {
    const res = await client.post("oauth/authorize", await client.authorizeJwt());
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; session: { expiry: number; key: string } };
    const header = JSON.parse(Buffer.from(body.token.split(".")[0] ?? "", "base64url").toString());
    expect(header).toMatchObject({ alg: "PS512", typ: "JWT", kid: emu.signingKey.kid, jku: emu.keySetUrl });
    const payload = await client.verify(body.token);
    expect(payload.preauthorization_code).toMatch(/^pre_/);
    expect(body.session.expiry).toBeGreaterThan(Date.now());
    expect(body.session.key).toMatch(/^[0-9a-f]{32}$/);
  });

  it("accepts a request JWT signed with node:crypto alone", async () => {
    const { challenge } = pkcePair();
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const input = `${enc({ alg: "PS512", typ: "JWT" })}.${enc({
      client_id: client.clientId,
      code_challenge: challenge,
      code_challenge_method: "S256",
      nonce: "abcdefghijABCDEFGHIJ012345678901",
      redirect_uri: REDIRECT_URI,
      response_mode: "query",
      response_type: "code",
      timestamp: Date.now(),
    })}`;
    const sig = sign("sha512", Buffer.from(input), {
      key: contractKeys.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 64,
    });
    const res = await client.post("oauth/authorize", `${input}.${sig.toString("base64url")}`);
    expect(res.status).toBe(200);
  });

  it("refuses a bad signature (401 InvalidSignature)", async () => {
    const other = makeRsa();
    const res = await client.post(
      "oauth/authorize",
      await new Client(emu, client.clientId, other.privateKey).authorizeJwt(),
    );
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe("InvalidSignature");
  });

  it("refuses an unknown client (403 InvalidClient), in the body and the X-Error-* headers", async () => {
    const res = await client.post("oauth/authorize", await client.authorizeJwt({ client_id: "nope_nope" }));
    expect(res.status).toBe(403);
    const error = await errorOf(res);
    expect(error).toEqual({
      code: "InvalidClient",
      message: "The client_id (nope_nope) is invalid",
      reference: expect.stringMatching(/^err_[A-Za-z0-9_-]{12}$/),
    });
    expect(res.headers.get("x-error-code")).toBe("InvalidClient");
    expect(res.headers.get("x-error-message")).toBe(error.message);
    expect(res.headers.get("x-error-reference")).toBe(error.reference);
  });

  it("refuses another contract's client_id signed with our key (401 InvalidSignature)", async () => {
    const other = makeRsa();
    emu.registerContract(
      testContract({
        contractId: "other",
        publicKey: other.publicKey.export({ type: "spki", format: "pem" }).toString(),
      }),
    );
    const res = await client.post(
      "oauth/authorize",
      await client.authorizeJwt({ client_id: "test-app_other" }),
    );
    expect(res.status).toBe(401);
    // ...while the same request signed by that contract's own (SPKI-registered) key passes.
    const ok = await client.post(
      "oauth/authorize",
      await new Client(emu, "test-app_other", other.privateKey).authorizeJwt({ client_id: "test-app_other" }),
    );
    expect(ok.status).toBe(200);
  });

  it("refuses a wrong redirect_uri (400 InvalidRedirectUri)", async () => {
    const res = await client.post(
      "oauth/authorize",
      await client.authorizeJwt({ redirect_uri: "https://evil.example/cb" }),
    );
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("InvalidRedirectUri");
  });

  it("refuses a replayed JWT and a reused nonce (401 ReplayedNonce)", async () => {
    const jwt = await client.authorizeJwt();
    expect((await client.post("oauth/authorize", jwt)).status).toBe(200);
    const again = await client.post("oauth/authorize", jwt);
    expect(again.status).toBe(401);
    expect((await errorOf(again)).code).toBe("ReplayedNonce");
    const nonce = JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString()).nonce;
    const sameNonce = await client.post("oauth/authorize", await client.authorizeJwt({ nonce }));
    expect((await errorOf(sameNonce)).code).toBe("ReplayedNonce");
  });

  it("refuses stale and future timestamps (401 InvalidTimestamp)", async () => {
    for (const skew of [-6 * 60_000, 6 * 60_000]) {
      const res = await client.post(
        "oauth/authorize",
        await client.authorizeJwt({ timestamp: Date.now() + skew }),
      );
      expect(res.status).toBe(401);
      expect((await errorOf(res)).code).toBe("InvalidTimestamp");
    }
    const inside = await client.post(
      "oauth/authorize",
      await client.authorizeJwt({ timestamp: Date.now() - 4 * 60_000 }),
    );
    expect(inside.status).toBe(200);
  });

  it("refuses malformed requests with 400 InvalidRequest", async () => {
    const cases = [
      await client.authorizeJwt({ nonce: "short" }),
      await client.authorizeJwt({ timestamp: "now" }),
      await client.authorizeJwt({ code_challenge_method: "plain" }),
      await client.authorizeJwt({ response_type: "token" }),
      "not-a-jwt",
      `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from('{"client_id":"test-app_test-contract"}').toString("base64url")}.`,
    ];
    for (const jwt of cases) {
      const res = await client.post("oauth/authorize", jwt);
      expect(res.status, jwt).toBe(400);
      expect((await errorOf(res)).code).toBe("InvalidRequest");
    }
    const noAuth = await fetch(`${emu.baseUrl}oauth/authorize`, { method: "POST" });
    expect(noAuth.status).toBe(400);
    const badBody = await client.post("oauth/authorize", await client.authorizeJwt(), { body: "{nope" });
    expect(badBody.status).toBe(400);
  });
});

describe("consent page", () => {
  it("names the app and offers Allow / Deny; Allow by form redirects with code, state, postbox and key", async () => {
    emu.settings.autoApprove = false;
    try {
      const { code, verifier } = await client.authorize({ state: "s t+ate/1" });
      const page = await fetch(client.consentUrl(code));
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/text\/html/);
      const htmlText = await page.text();
      expect(htmlText).toContain("Allow <em>Test App</em> to write to your library?");
      expect(htmlText).toMatch(/<button[^>]*value="allow"[^>]*>Allow<\/button>/);
      expect(htmlText).toMatch(/<button[^>]*value="deny"[^>]*>Deny<\/button>/);
      const hidden = Object.fromEntries(
        [...htmlText.matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]),
      );
      expect(hidden.code).toBe(code);
      const res = await fetch(`${emu.onboardUrl}authorize`, {
        method: "POST",
        body: new URLSearchParams({ code, callback: CALLBACK, decision: "allow" }),
        redirect: "manual",
      });
      expect(res.status).toBe(302);
      const location = res.headers.get("location") ?? "";
      expect(location.startsWith(`${REDIRECT_URI}?`)).toBe(true);
      // Every value is percent-encoded, so the PEM survives decodeURIComponent as well as URLSearchParams.
      expect(location).not.toContain("+");
      const query = new URL(location).searchParams;
      expect(query.get("success")).toBe("true");
      expect(query.get("state")).toBe("s t+ate/1");
      expect(query.get("postboxId")).toMatch(/^pb_/);
      const pem = query.get("publicKey") ?? "";
      expect(pem).toMatch(/^-----BEGIN RSA PUBLIC KEY-----\n/);
      expect(createPublicKey(pem).asymmetricKeyType).toBe("rsa");
      const tokens = await client.tokensOf(await client.exchange(query.get("code") ?? "", verifier));
      expect(tokens.sub).toMatch(/^user_/);
      // The decision is final: a second POST for the same code is refused back to the callback.
      const again = await fetch(`${emu.onboardUrl}authorize`, {
        method: "POST",
        body: new URLSearchParams({ code, callback: CALLBACK, decision: "allow" }),
        redirect: "manual",
      });
      expect(new URL(again.headers.get("location") ?? "").searchParams.get("errorCode")).toBe(
        "InvalidPreauthorizationCode",
      );
    } finally {
      emu.settings.autoApprove = true;
    }
  });

  it("Deny sends the person to callback with success=false&errorCode", async () => {
    const { code } = await client.authorize();
    const res = await fetch(`${emu.onboardUrl}authorize`, {
      method: "POST",
      body: new URLSearchParams({ code, callback: CALLBACK, decision: "deny" }),
      redirect: "manual",
    });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`${CALLBACK}?success=false&errorCode=AccessDenied`);
    expect(emu.stats.snapshot().consents.denied).toBeGreaterThan(0);
  });

  it("an unknown code goes back to callback, or shows a page without one", async () => {
    const res = await fetch(client.consentUrl("pre_nope"), { redirect: "manual" });
    expect(res.headers.get("location")).toBe(
      `${CALLBACK}?success=false&errorCode=InvalidPreauthorizationCode`,
    );
    const pageRes = await fetch(`${emu.onboardUrl}authorize?code=pre_nope`);
    expect(pageRes.status).toBe(400);
    expect(await pageRes.text()).toContain("not valid");
  });

  it("auto-approve can be switched by the admin API", async () => {
    const off = await fetch(`${emu.adminUrl}/settings`, {
      method: "POST",
      body: JSON.stringify({ autoApprove: false }),
    });
    expect(((await off.json()) as { autoApprove: boolean }).autoApprove).toBe(false);
    const { code } = await client.authorize();
    expect((await fetch(client.consentUrl(code), { redirect: "manual" })).status).toBe(200);
    await fetch(`${emu.adminUrl}/settings`, { method: "POST", body: JSON.stringify({ autoApprove: true }) });
    expect((await fetch(client.consentUrl(code), { redirect: "manual" })).status).toBe(302);
  });

  it("authorize with an existing user's access_token links the same library and postbox", async () => {
    const first = await client.onboard();
    const second = await client.onboard({ access_token: first.accessToken });
    expect(second.userId).toBe(first.userId);
    expect(second.postboxId).toBe(first.postboxId);
    const third = await client.onboard();
    expect(third.userId).not.toBe(first.userId);
    const bad = await client.post("oauth/authorize", await client.authorizeJwt({ access_token: "at_nope" }));
    expect(bad.status).toBe(401);
    expect((await errorOf(bad)).code).toBe("InvalidToken");
  });
});

describe("oauth/token", () => {
  it("exchanges a code once (PKCE S256), returning access/refresh tokens and sub", async () => {
    const { code, verifier } = await client.authorize();
    const query = await client.consentAuto(code);
    const res = await client.exchange(query.get("code") ?? "", verifier);
    const tokens = await client.tokensOf(res);
    expect(tokens.access_token.value).toMatch(/^at_/);
    expect(tokens.access_token.expires_on).toBeGreaterThan(Date.now() + 59 * 60_000);
    expect(tokens.refresh_token.expires_on).toBeGreaterThan(tokens.access_token.expires_on);
    const reused = await client.exchange(query.get("code") ?? "", verifier);
    expect(reused.status).toBe(400);
    expect(await errorOf(reused)).toMatchObject({
      code: "InvalidAuthorizationCode",
      message: expect.stringMatching(/already/),
    });
  });

  it("refuses a wrong PKCE verifier, and the code is then used up", async () => {
    const { code, verifier } = await client.authorize();
    const query = await client.consentAuto(code);
    const wrong = await client.exchange(query.get("code") ?? "", pkcePair().verifier);
    expect(wrong.status).toBe(400);
    expect((await errorOf(wrong)).code).toBe("InvalidCodeVerifier");
    expect((await client.exchange(query.get("code") ?? "", verifier)).status).toBe(400);
  });

  it("refuses an unknown code, another client's code and an expired code", async () => {
    expect((await errorOf(await client.exchange("code_nope", pkcePair().verifier))).code).toBe(
      "InvalidAuthorizationCode",
    );
    const { code, verifier } = await client.authorize();
    const query = await client.consentAuto(code);
    const other = makeRsa();
    emu.registerContract(
      testContract({
        contractId: "third",
        publicKey: other.publicKey.export({ type: "pkcs1", format: "pem" }).toString(),
      }),
    );
    const thief = new Client(emu, "test-app_third", other.privateKey);
    expect((await errorOf(await thief.exchange(query.get("code") ?? "", verifier))).message).toMatch(
      /invalid/,
    );
    // Expired by the emulator's clock: a code lives 60 s, and this one is a second too old.
    let clock = Date.now();
    const slow = await start({ autoApprove: true, authorizationCodeTtlMs: 60_000, now: () => clock });
    try {
      const slowClient = new Client(slow);
      const late = await slowClient.authorize();
      const lateQuery = await slowClient.consentAuto(late.code);
      clock += 61_000;
      const res = await slowClient.exchange(lateQuery.get("code") ?? "", late.verifier);
      expect(await errorOf(res)).toMatchObject({
        code: "InvalidAuthorizationCode",
        message: expect.stringMatching(/expired/),
      });
    } finally {
      await slow.close();
    }
  });

  it("rotates refresh tokens: a used one is refused, the new pair works, the old access token stops", async () => {
    const box = await client.onboard();
    const before = emu.stats.snapshot().refreshes;
    const next = await client.tokensOf(await client.refresh(box.refreshToken));
    expect(next.sub).toBe(box.userId);
    expect(next.refresh_token.value).not.toBe(box.refreshToken);
    expect(emu.stats.snapshot().refreshes).toBe(before + 1);
    const reused = await client.refresh(box.refreshToken);
    expect(reused.status).toBe(401);
    expect(await errorOf(reused)).toMatchObject({
      code: "InvalidToken",
      message: expect.stringMatching(/already been used/),
    });
    // The new pair still works after the reuse attempt.
    const third = await client.tokensOf(await client.refresh(next.refresh_token.value));
    expect(third.access_token.value).toMatch(/^at_/);
    const oldWrite = await client.write(box, Buffer.from("x"));
    expect(oldWrite.status).toBe(401);
    expect((await errorOf(oldWrite)).code).toBe("InvalidToken");
    expect(
      (await client.write({ ...box, accessToken: third.access_token.value }, Buffer.from("x"))).status,
    ).toBe(200);
  });

  it("refuses an unknown refresh token, an access token as refresh token, and an unknown grant", async () => {
    const box = await client.onboard();
    expect((await errorOf(await client.refresh("rt_nope"))).code).toBe("InvalidToken");
    expect((await client.refresh(box.accessToken)).status).toBe(401);
    const res = await client.post(
      "oauth/token",
      await signRequest({ client_id: client.clientId, grant_type: "password", password: "x" }),
    );
    expect(res.status).toBe(400);
  });

  it("refuses an expired refresh token", async () => {
    const box = await client.onboard();
    const res = await fetch(`${emu.adminUrl}/expire-tokens`, {
      method: "POST",
      body: JSON.stringify({ userId: box.userId, kind: "refresh" }),
    });
    expect(((await res.json()) as { expired: number }).expired).toBeGreaterThan(0);
    expect(await errorOf(await client.refresh(box.refreshToken))).toMatchObject({
      code: "InvalidToken",
      message: expect.stringMatching(/expired/),
    });
  });
});
