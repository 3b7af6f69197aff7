import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { RunningEmulator } from "../src/index.ts";
import { cutMidUpload, download, expectRefusal } from "./support/emulator.ts";
import {
  fileDescriptorJwt,
  IMPORT_CLIENT_ID,
  ImportClient,
  type ImportUser,
  importContract,
  LIBRARY_DESCRIPTOR,
  useImportEmulator,
  userFiles,
} from "./support/import.ts";
import { CALLBACK, makeRsa, REDIRECT_URI, sha256, signRequest } from "./support/protocol.ts";

let emu: RunningEmulator;
let client: ImportClient;
let user: ImportUser;

useImportEmulator(async (setup) => {
  ({ emu, client } = setup);
  user = await client.signIn();
});

describe("sign-in of an import contract (v10 rules)", () => {
  it("redirects with accountReference (no postbox), and the token names the consent", async () => {
    expect(user.state).toBe("state-import");
    expect(user.accountReference).toMatch(/^ref_/);
    expect(user.consentid).toMatch(/^consent_/);
    const accounts = (await (await client.readAccounts(user.accessToken)).json()) as {
      reference: string;
      type: string;
    }[];
    expect(accounts.map((a) => [a.type, a.reference])).toEqual([["IMPORTED", user.accountReference]]);
    expect(emu.store.listPostboxes(user.userId)).toEqual([]);
  });

  it("with sourceType=push also gives a PUSH account of the fake health provider, whose reference comes back", async () => {
    const pushed = await client.signIn("push");
    const res = await client.readAccounts(pushed.accessToken);
    expect(res.status).toBe(200);
    const accounts = (await res.json()) as Record<string, unknown>[];
    expect(accounts).toHaveLength(2);
    const push = accounts.find((a) => a.type === "PUSH");
    expect(push?.reference).toBe(pushed.accountReference);
    for (const account of accounts) {
      for (const member of [
        "id",
        "reference",
        "type",
        "createdDate",
        "serviceGroupId",
        "serviceGroupName",
        "serviceTypeId",
        "serviceTypeName",
        "serviceTypeReference",
        "sourceId",
        "updatedDate",
      ]) {
        expect(account, member).toHaveProperty(member);
      }
      expect(account.accessTokenStatus).toEqual({ authorized: true });
    }
    expect(push).toMatchObject({ serviceGroupName: "Health", serviceTypeReference: "hospital" });
  });

  it("requires state; refuses another redirect_uri; a bad sourceType gets a 400 page", async () => {
    const noState = await client.post("oauth/authorize", await client.authorizeJwt({ state: undefined }));
    await expectRefusal(noState, 400, "InvalidRequest");
    const other = await client.post(
      "oauth/authorize",
      await client.authorizeJwt({ redirect_uri: "https://evil.example/" }),
    );
    await expectRefusal(other, 400, "InvalidRedirectUri");
    const { code } = await client.authorize();
    const page = await fetch(`${emu.onboardUrl}authorize?code=${code}&sourceType=sideways`, {
      redirect: "manual",
    });
    expect(page.status).toBe(400);
  });

  it("accepts every parameter of the SDK's onboarding URL (sourcesScope double-encoded)", async () => {
    const { code, verifier } = await client.authorize();
    const scope = { serviceGroups: [{ id: 4 }], timeRange: [{ last: "7d" }] };
    const query = new URLSearchParams({
      code,
      sourceType: "push",
      service: "7",
      sampleDataSet: "default",
      sampleDataAutoOnboard: "true",
      lng: "fr",
      includeSampleDataOnlySources: "true",
      triggerQuery: "false",
      sourcesScope: encodeURIComponent(JSON.stringify(scope)),
    });
    const res = await fetch(`${emu.onboardUrl}authorize?${query}`, { redirect: "manual" });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get("location") ?? "").searchParams;
    expect(back.get("success")).toBe("true");
    expect((await client.exchange(back.get("code") ?? "", verifier)).status).toBe(200);
  });

  it("Deny without a callback goes back to the redirect URI with success=false", async () => {
    emu.settings.autoApprove = false;
    try {
      const { code } = await client.authorize();
      const form = new URLSearchParams({ code, sourceType: "push", decision: "deny" });
      const res = await fetch(`${emu.onboardUrl}authorize`, {
        method: "POST",
        body: form,
        redirect: "manual",
      });
      const location = new URL(res.headers.get("location") ?? "");
      expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
      expect(Object.fromEntries(location.searchParams)).toEqual({
        success: "false",
        errorCode: "AccessDenied",
      });
      const { code: again } = await client.authorize();
      const page = await fetch(`${emu.onboardUrl}authorize?code=${again}&sourceType=push`);
      expect(await page.text()).toContain("Emulated Health Provider");
      expect(CALLBACK).not.toBe(REDIRECT_URI);
    } finally {
      emu.settings.autoApprove = true;
    }
  });
});

describe("POST permission-access/import", () => {
  it("stores the raw bytes with the descriptor's metadata (Content-Length); the library serves them", async () => {
    const data = randomBytes(70_001);
    const res = await client.importRaw(user.accessToken, data);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "delivered", expires: user.accessExpiry });
    const [file] = await userFiles(emu, user.userId);
    expect(file).toMatchObject({
      source: "import",
      postboxId: null,
      clientId: IMPORT_CLIENT_ID,
      mimeType: "text/plain",
      metadata: LIBRARY_DESCRIPTOR,
      size: data.length,
      sha256: sha256(data),
    });
    expect((await download(file?.url ?? "")).equals(data)).toBe(true);
  });

  it("accepts a chunked body and no Content-Type at all, and an empty file", async () => {
    const parts = [randomBytes(1000), randomBytes(65_536), randomBytes(3)];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(part);
        controller.close();
      },
    });
    const res = await client.importRaw(user.accessToken, stream, { headers: { "content-type": null } });
    expect(res.status).toBe(200);
    const [file] = await userFiles(emu, user.userId);
    expect((await download(file?.url ?? "")).equals(Buffer.concat(parts))).toBe(true);
    expect((await client.importRaw(user.accessToken, new Uint8Array(0))).status).toBe(200);
    expect((await userFiles(emu, user.userId))[0]?.size).toBe(0);
  });

  it("refuses bad or missing JWTs and descriptors, storing nothing", async () => {
    const before = emu.store.countFiles();
    const body = Buffer.from("never stored");
    await expectRefusal(
      await fetch(`${emu.baseUrl}permission-access/import`, { method: "POST", body }),
      406,
      "ValidationErrors",
    );
    await expectRefusal(
      await client.importRaw(user.accessToken, body, { descriptor: null }),
      406,
      "ValidationErrors",
    );
    await expectRefusal(
      await client.importRaw(user.accessToken, body, { descriptor: "not.a.jwt" }),
      406,
      "ValidationErrors",
    );
    const foreign = await fileDescriptorJwt(LIBRARY_DESCRIPTOR, { key: makeRsa().privateKey });
    await expectRefusal(
      await client.importRaw(user.accessToken, body, { descriptor: foreign }),
      401,
      "InvalidSignature",
    );
    const extra = await fileDescriptorJwt(null, { payload: { metadata: LIBRARY_DESCRIPTOR, nonce: "x" } });
    await expectRefusal(
      await client.importRaw(user.accessToken, body, { descriptor: extra }),
      406,
      "ValidationErrors",
    );
    const notDescriptor = await fileDescriptorJwt({ accounts: [] });
    await expectRefusal(
      await client.importRaw(user.accessToken, body, { descriptor: notDescriptor }),
      406,
      "ValidationErrors",
    );
    await expectRefusal(await client.importRaw("at_unknown", body), 401, "InvalidToken");
    expect(emu.store.countFiles()).toBe(before);
    expect(emu.store.pendingUploads()).toEqual([]);
  });

  it("refuses a postbox contract (403 InsufficientScope)", async () => {
    const postboxClient = new ImportClient(emu);
    Object.defineProperty(postboxClient, "clientId", { value: "test-app_test-contract" });
    const box = await postboxClient.onboard();
    await expectRefusal(
      await postboxClient.importRaw(box.accessToken, Buffer.from("x")),
      403,
      "InsufficientScope",
    );
  });

  it("responds to an expired access token with 401 InvalidToken (no pending), draining the body; refresh then works", async () => {
    const mine = await client.signIn();
    emu.store.expireTokens({ userId: mine.userId }, ["access"], Date.now());
    await expectRefusal(
      await client.importRaw(mine.accessToken, randomBytes(2 * 1024 * 1024)),
      401,
      "InvalidToken",
    );
    await expectRefusal(await client.readAccounts(mine.accessToken), 401, "InvalidToken");
    await expectRefusal(await client.deleteUser(mine.accessToken), 401, "InvalidToken");
    await expectRefusal(await client.pushFhir(mine.accessToken, "acc", "{}"), 401, "InvalidToken");
    const fresh = await client.tokensOf(await client.refresh(mine.refreshToken));
    expect((await client.importRaw(fresh.access_token.value, Buffer.from("after"))).status).toBe(200);
    expect(await userFiles(emu, mine.userId)).toHaveLength(1);
  });

  it.each([
    ["with a Content-Length", { "content-length": String(8 * 1024 * 1024) }],
    ["chunked", { "transfer-encoding": "chunked" }],
  ])("keeps nothing of a body cut short (%s)", async (_name, framing) => {
    const before = emu.store.countFiles();
    const jwt = await signRequest({ client_id: IMPORT_CLIENT_ID, access_token: user.accessToken });
    const descriptor = await fileDescriptorJwt(LIBRARY_DESCRIPTOR);
    const url = new URL(`${emu.baseUrl}permission-access/import`);
    const headers = { authorization: `Bearer ${jwt}`, filedescriptor: descriptor, ...framing };
    const during = await cutMidUpload(emu, url, headers, randomBytes(4 * 1024 * 1024));
    expect(during).toHaveLength(1);
    expect(emu.store.pendingUploads()).toEqual([]);
    expect(emu.store.countFiles()).toBe(before);
    expect((await fetch(`${emu.url}/healthz`)).status).toBe(200);
  });

  it("refuses an import contract without write access (403 InsufficientScope)", async () => {
    emu.registerContract({ ...importContract(), write: false });
    try {
      await expectRefusal(
        await client.importRaw(user.accessToken, Buffer.from("x")),
        403,
        "InsufficientScope",
      );
    } finally {
      emu.registerContract(importContract());
    }
  });

  it("streams 256 MiB with flat memory: the library has the same size and SHA-256", async () => {
    const total = 256 * 1024 * 1024;
    const block = randomBytes(1024 * 1024);
    const hash = createHash("sha256");
    let sent = 0;
    let peak = 0;
    const baseline = process.memoryUsage().rss;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        peak = Math.max(peak, process.memoryUsage().rss);
        if (sent >= total) return controller.close();
        const part = new Uint8Array(block);
        part[0] = sent / block.length;
        hash.update(part);
        sent += part.length;
        controller.enqueue(part);
      },
    });
    const res = await client.importRaw(user.accessToken, stream);
    expect(res.status).toBe(200);
    const [file] = await userFiles(emu, user.userId);
    expect(file).toMatchObject({ size: total, sha256: hash.digest("hex") });
    // Client and emulator share this process: neither may hold the upload in memory.
    expect(peak - baseline).toBeLessThan(128 * 1024 * 1024);
  }, 120_000);
});

describe("without a Node socket", () => {
  it("imports through app.request() as well", async () => {
    const jwt = await signRequest({ client_id: IMPORT_CLIENT_ID, access_token: user.accessToken });
    const res = await emu.app.request("/v1.7/permission-access/import", {
      method: "POST",
      headers: {
        authorization: `Bearer ${jwt}`,
        filedescriptor: await fileDescriptorJwt(LIBRARY_DESCRIPTOR),
      },
      body: Buffer.from("in-process import"),
    });
    expect(await res.json()).toMatchObject({ status: "delivered" });
    const [file] = await userFiles(emu, user.userId);
    expect((await download(file?.url ?? "")).toString()).toBe("in-process import");
  });
});
