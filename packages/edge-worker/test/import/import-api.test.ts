/**
 * The routes that come with the import API: `GET /api/accounts`, `POST /api/fhir/{version}` and
 * `DELETE /api/user`, through the Worker and the typed client, checked against the emulator.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createClient, EdgeClientError } from "../../src/client.ts";
import { getConfig } from "../../src/config.ts";
import { contractDetails, getSdk } from "../../src/lib/digime.ts";
import { ACCOUNT_MEMBERS } from "../../src/routes/accounts.ts";
import { MAX_FHIR_BYTES } from "../../src/routes/fhir.ts";
import { errorOf, expectSecurityHeaders } from "../support/answers.ts";
import { Browser } from "../support/browser.ts";
import { emulator } from "../support/emulator-admin.ts";
import { signedInImportUser } from "../support/import-users.ts";
import { postFhir, upload, uploadForm } from "../support/posts.ts";
import { findSecrets } from "../support/secret-scan.ts";
import { APP_ORIGIN, ORIGIN, SESSION_COOKIE } from "../support/test-env.ts";
import { storedTokens } from "../support/vault-access.ts";

const BUNDLE = {
  resourceType: "Bundle",
  type: "collection",
  entry: [{ resource: { resourceType: "Patient", name: [{ family: "Doe", given: ["Jane"] }] } }],
};

describe("GET /api/accounts", () => {
  it("lists the user's accounts with digi.me's members, never a token", async () => {
    const { browser, accountReference, before } = await signedInImportUser({ push: true });
    const response = await browser.fetch("/api/accounts");
    expectSecurityHeaders(response);
    expect(response.status).toBe(200);
    const text = await response.clone().text();
    expect(findSecrets(text, [before?.access_token ?? "", before?.refresh_token ?? ""])).toEqual([]);
    const { accounts } = (await response.json()) as { accounts: Record<string, unknown>[] };
    expect(accounts.map((a) => a.type).sort()).toEqual(["IMPORTED", "PUSH"]);
    expect(accounts.some((a) => a.reference === accountReference)).toBe(true);
    for (const account of accounts) {
      for (const member of Object.keys(account)) expect(ACCOUNT_MEMBERS).toContain(member);
      expect(account).toMatchObject({ id: expect.any(String), serviceGroupName: expect.any(String) });
    }
    expect((await emulator.stats()).requests.accounts).toBe(1);
    // The typed client.
    const client = createClient(ORIGIN, { fetch: browser.fetchForClient });
    expect(await client.accounts()).toEqual(accounts);
  });

  it("401 UNAUTHENTICATED signed out, before digi.me is asked", async () => {
    await emulator.resetStats();
    const response = await new Browser().fetch("/api/accounts");
    expect(await errorOf(response)).toMatchObject({ status: 401, code: "UNAUTHENTICATED" });
    expect((await emulator.stats()).requests.accounts).toBe(0);
  });

  it("refreshes once through the vault when digi.me finds the token expired, and stores the new pair", async () => {
    const { browser, userId, digimeUser, before } = await signedInImportUser();
    await emulator.expireTokens({ userId: digimeUser.id });
    const response = await browser.fetch("/api/accounts");
    expect(response.status).toBe(200);
    expect((await emulator.stats()).refreshes).toBe(1);
    expect((await storedTokens(userId))?.refresh_token).not.toBe(before?.refresh_token);
  });
});

describe("POST /api/fhir/{version}", () => {
  it.each(["stu3", "3.0.2"])("pushes a Bundle to the user's PUSH account (%s)", async (version) => {
    const { browser, digimeUser } = await signedInImportUser({ push: true });
    const push = digimeUser.accounts.find((a) => a.type === "PUSH");
    const response = await postFhir(browser, { accountId: push?.id, resource: BUNDLE }, version);
    expectSecurityHeaders(response);
    expect(response.status, await response.clone().text()).toBe(200);
    const body = JSON.stringify({ accountId: push?.id, resource: BUNDLE });
    expect(await response.json()).toEqual({
      status: "delivered",
      accountId: push?.id,
      version,
      resourceType: "Bundle",
      bytes: body.length,
    });
    const [stored, ...rest] = await emulator.userFiles(digimeUser.id, "fhir");
    expect(rest).toEqual([]);
    expect(stored).toMatchObject({ accountId: push?.id, metadata: { version, resourceType: "Bundle" } });
    expect(JSON.parse(new TextDecoder().decode(await emulator.download(stored?.url as string)))).toEqual(
      BUNDLE,
    );
  });

  it("the typed client pushes, and maps digi.me's refusals of the account", async () => {
    const { browser, digimeUser } = await signedInImportUser({ push: true });
    const client = createClient(ORIGIN, { fetch: browser.fetchForClient });
    const push = digimeUser.accounts.find((a) => a.type === "PUSH")?.id as string;
    const imported = digimeUser.accounts.find((a) => a.type === "IMPORTED")?.id as string;
    const result = await client.pushFhir(BUNDLE, { accountId: push, version: "3.0.2" });
    expect(result).toMatchObject({ status: "delivered", accountId: push, version: "3.0.2" });
    const notPush = await client.pushFhir(BUNDLE, { accountId: imported }).catch((e: unknown) => e);
    expect(notPush).toBeInstanceOf(EdgeClientError);
    expect(notPush).toMatchObject({ status: 403, code: "NOT_A_PUSH_ACCOUNT" });
    const unknown = await postFhir(browser, { accountId: "no-such-account", resource: BUNDLE });
    expect(await errorOf(unknown)).toMatchObject({
      status: 400,
      code: "ACCOUNT_NOT_FOUND",
      upstream: "AccountNotFound",
    });
    expect(await emulator.userFiles(digimeUser.id, "fhir")).toHaveLength(1);
  });

  it("refuses bad requests before anything is sent to digi.me", async () => {
    const { browser } = await signedInImportUser({ push: true });
    const ok = { accountId: "a1", resource: BUNDLE };
    const cases: [Promise<Response>, number, string][] = [
      [postFhir(browser, ok, "r4"), 400, "BAD_FHIR_VERSION"],
      [postFhir(browser, "{not json"), 400, "BAD_FHIR_BODY"],
      [postFhir(browser, [ok]), 400, "BAD_FHIR_BODY"],
      [postFhir(browser, { accountId: "a1", resource: [] }), 400, "BAD_FHIR_BODY"],
      [postFhir(browser, { accountId: "a1", resource: { type: "collection" } }), 400, "BAD_FHIR_BODY"],
      [postFhir(browser, { resource: BUNDLE }), 400, "BAD_ACCOUNT_ID"],
      [postFhir(browser, { accountId: "a 1\n", resource: BUNDLE }), 400, "BAD_ACCOUNT_ID"],
      // sdk-core's rule (visible ASCII, inner spaces only), and at most 256 characters.
      [postFhir(browser, { accountId: " a1", resource: BUNDLE }), 400, "BAD_ACCOUNT_ID"],
      [postFhir(browser, { accountId: "a\u00e91", resource: BUNDLE }), 400, "BAD_ACCOUNT_ID"],
      [postFhir(browser, { accountId: "a".repeat(257), resource: BUNDLE }), 400, "BAD_ACCOUNT_ID"],
      [postFhir(browser, ok, "stu3", { headers: { "Content-Type": "text/plain" } }), 400, "BAD_CONTENT_TYPE"],
      [postFhir(browser, ok, "stu3", { origin: null }), 403, "CSRF_ORIGIN"],
      [postFhir(browser, ok, "stu3", { origin: "https://evil.test" }), 403, "CSRF_ORIGIN"],
      [postFhir(new Browser(), ok), 401, "UNAUTHENTICATED"],
    ];
    for (const [response, status, code] of cases) {
      const answer = await response;
      expectSecurityHeaders(answer);
      expect(await errorOf(answer)).toMatchObject({ status, code });
    }
    const huge = { accountId: "a1", resource: { ...BUNDLE, pad: "x".repeat(MAX_FHIR_BYTES) } };
    expect(await errorOf(await postFhir(browser, huge))).toMatchObject({
      status: 413,
      code: "PAYLOAD_TOO_LARGE",
    });
    const stats = await emulator.stats();
    expect(stats.requests.fhir).toBe(0);
    expect(stats.fhirPushes).toBe(0);
  });
});

describe("DELETE /api/user", () => {
  it("deletes the user at digi.me, then the vault and the cookie", async () => {
    const { browser, userId, digimeUser, before } = await signedInImportUser();
    expect((await upload(browser, uploadForm("kept until deleted", undefined, "a.txt"))).status).toBe(200);
    const client = createClient(ORIGIN, { fetch: browser.fetchForClient });
    expect(await client.deleteUser()).toEqual({ deleted: true, signedOut: true });
    expect(browser.cookie(SESSION_COOKIE)).toBeUndefined();
    expect(await storedTokens(userId)).toBeNull();
    expect((await emulator.stats()).userDeletions).toBe(1);
    expect((await emulator.users()).some((u) => u.id === digimeUser.id)).toBe(false);
    // digi.me refuses the tokens the user had.
    const config = getConfig(env);
    const stale = {
      accessToken: { value: before?.access_token as string, expiry: before?.access_expiry as number },
      refreshToken: { value: before?.refresh_token as string, expiry: before?.refresh_expiry as number },
    };
    const refused = await getSdk(config)
      .refreshToken({ contractDetails: contractDetails(config), userAccessToken: stale })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 401, code: "InvalidToken" });
    // The old cookie, replayed, reaches nothing.
    const session = await (await browser.fetch("/api/session")).json();
    expect(session).toMatchObject({ authenticated: false });
  });

  it("keeps the session when digi.me did not confirm the deletion", async () => {
    const { browser, userId } = await signedInImportUser();
    await emulator.fault({ route: "user", failNext: 1, statuses: [500] });
    try {
      const response = await browser.fetch("/api/user", { method: "DELETE", origin: APP_ORIGIN });
      expect((await errorOf(response)).status).toBeGreaterThanOrEqual(500);
      expect(await storedTokens(userId)).not.toBeNull();
      expect(await (await browser.fetch("/api/session")).json()).toMatchObject({ authenticated: true });
    } finally {
      await emulator.clearFaults();
    }
  });
});
