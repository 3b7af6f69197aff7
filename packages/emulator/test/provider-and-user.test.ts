import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunningEmulator } from "../src/index.ts";
import { Client } from "./support/client.ts";
import { download, expectRefusal } from "./support/emulator.ts";
import { type ImportClient, type ImportUser, useImportEmulator, userFiles } from "./support/import.ts";
import { signRequest } from "./support/protocol.ts";

let emu: RunningEmulator;
let client: ImportClient;
let pusher: ImportUser;
let pushAccountId: string;
let importAccountId: string;

useImportEmulator(async (setup) => {
  ({ emu, client } = setup);
  pusher = await client.signIn("push");
  const accounts = (await (await client.readAccounts(pusher.accessToken)).json()) as {
    id: string;
    type: string;
  }[];
  pushAccountId = accounts.find((a) => a.type === "PUSH")?.id ?? "";
  importAccountId = accounts.find((a) => a.type === "IMPORTED")?.id ?? "";
});

const BUNDLE = JSON.stringify({
  resourceType: "Bundle",
  type: "transaction",
  entry: [{ resource: { resourceType: "Observation", status: "final", code: { text: "heart rate" } } }],
});

describe("POST permission-access/import/h:accountId/fhir/{version}", () => {
  it("stores the resource as sent, for either version, beside the user's other files", async () => {
    for (const version of ["stu3", "3.0.2"]) {
      const res = await client.pushFhir(pusher.accessToken, pushAccountId, BUNDLE, version);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "delivered", expires: pusher.accessExpiry });
      const [file] = await userFiles(emu, pusher.userId);
      expect(file).toMatchObject({
        source: "fhir",
        accountId: pushAccountId,
        mimeType: "application/fhir+json",
        metadata: { standard: "fhir", version, accountId: pushAccountId, resourceType: "Bundle" },
      });
      expect((await download(file?.url ?? "")).toString()).toBe(BUNDLE);
    }
    expect(emu.stats.snapshot().fhirPushes).toBe(2);
  });

  it("refuses a missing, foreign or non-PUSH account", async () => {
    await expectRefusal(await client.pushFhir(pusher.accessToken, null, BUNDLE), 406, "ValidationErrors");
    await expectRefusal(
      await client.pushFhir(pusher.accessToken, "acc_nope", BUNDLE),
      404,
      "AccountNotFound",
    );
    await expectRefusal(
      await client.pushFhir(pusher.accessToken, importAccountId, BUNDLE),
      403,
      "InsufficientScope",
    );
    const other = await client.signIn("push");
    await expectRefusal(
      await client.pushFhir(other.accessToken, pushAccountId, BUNDLE),
      404,
      "AccountNotFound",
    );
  });

  it("refuses a body that is not a JSON object with a resourceType", async () => {
    for (const body of [
      "[1,2]",
      "not json",
      '"Bundle"',
      "null",
      '{"type":"transaction"}',
      '{"resourceType":""}',
    ]) {
      await expectRefusal(
        await client.pushFhir(pusher.accessToken, pushAccountId, body),
        406,
        "ValidationErrors",
      );
    }
    const before = await userFiles(emu, pusher.userId);
    expect(before.filter((f) => f.source === "fhir")).toHaveLength(2);
  });

  it("knows only fhir/stu3 and fhir/3.0.2 under the literal h:accountId segment", async () => {
    await expectRefusal(
      await client.pushFhir(pusher.accessToken, pushAccountId, BUNDLE, "r4"),
      404,
      "NotFound",
    );
    const jwt = await signRequest({ client_id: client.clientId, access_token: pusher.accessToken });
    const res = await fetch(`${emu.baseUrl}permission-access/import/${pushAccountId}/fhir/stu3`, {
      method: "POST",
      headers: { authorization: `Bearer ${jwt}`, accountid: pushAccountId },
      body: BUNDLE,
    });
    await expectRefusal(res, 404, "NotFound");
  });
});

describe("GET permission-access/accounts and DELETE user", () => {
  it("refuses a missing request JWT on both (406 ValidationErrors)", async () => {
    await expectRefusal(await fetch(`${emu.baseUrl}permission-access/accounts`), 406, "ValidationErrors");
    await expectRefusal(await fetch(`${emu.baseUrl}user`, { method: "DELETE" }), 406, "ValidationErrors");
  });

  it("deletes the library and every token: then 401 InvalidToken everywhere, refresh included", async () => {
    const doomed = await client.signIn("push");
    const accounts = (await (await client.readAccounts(doomed.accessToken)).json()) as { id: string }[];
    expect((await client.importRaw(doomed.accessToken, Buffer.from("bye"))).status).toBe(200);
    const [file] = await userFiles(emu, doomed.userId);
    const onDisk = join(emu.store.filesDir, doomed.userId);
    expect(existsSync(onDisk)).toBe(true);

    const res = await client.deleteUser(doomed.accessToken);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");

    await expectRefusal(await client.readAccounts(doomed.accessToken), 401, "InvalidToken");
    await expectRefusal(await client.importRaw(doomed.accessToken, Buffer.from("x")), 401, "InvalidToken");
    await expectRefusal(
      await client.pushFhir(doomed.accessToken, accounts[0]?.id ?? "", BUNDLE),
      401,
      "InvalidToken",
    );
    await expectRefusal(await client.deleteUser(doomed.accessToken), 401, "InvalidToken");
    await expectRefusal(await client.refresh(doomed.refreshToken), 401, "InvalidToken");
    expect((await fetch(`${emu.libraryUrl}/api/users/${doomed.userId}/files`)).status).toBe(404);
    expect((await fetch(file?.url ?? "")).status).toBe(404);
    expect(existsSync(onDisk)).toBe(false);
    expect(emu.accounts.list(doomed.userId)).toEqual([]);
    // Other users keep everything.
    expect((await client.readAccounts(pusher.accessToken)).status).toBe(200);
    expect((await userFiles(emu, pusher.userId)).length).toBeGreaterThan(0);
  });
});

describe("faults and stats", () => {
  it("counts the new routes and lets faults target them", async () => {
    emu.stats.reset();
    emu.faults.set("accounts", { failNext: 1, statuses: [503] });
    emu.faults.set("import", { failNext: 1, statuses: [500] });
    await expectRefusal(await client.readAccounts(pusher.accessToken), 503, "ServiceUnavailable");
    expect((await client.readAccounts(pusher.accessToken)).status).toBe(200);
    await expectRefusal(
      await client.importRaw(pusher.accessToken, Buffer.from("f")),
      500,
      "InternalServerError",
    );
    const stats = emu.stats.snapshot();
    expect(stats.requests).toMatchObject({ accounts: 2, import: 1, fhir: 0, user: 0 });
    expect(stats.faults.errors).toBe(2);
  });
});

describe("the library shows imports and FHIR pushes beside postbox writes", () => {
  it("in the JSON API (source filter, accounts of each user) and on the page", async () => {
    const fhir = (await (
      await fetch(`${emu.libraryUrl}/api/files?source=fhir&userId=${pusher.userId}`)
    ).json()) as {
      files: { source: string; accountId: string; url: string }[];
    };
    expect(fhir.files.length).toBeGreaterThan(0);
    expect(fhir.files.every((f) => f.source === "fhir" && f.accountId === pushAccountId)).toBe(true);
    expect((await fetch(`${emu.libraryUrl}/api/files?source=sideways`)).status).toBe(400);
    const users = (await (await fetch(`${emu.libraryUrl}/api/users`)).json()) as {
      users: { id: string; accounts: { id: string; type: string }[] }[];
    };
    const mine = users.users.find((u) => u.id === pusher.userId);
    expect(mine?.accounts.map((a) => a.type).sort()).toEqual(["IMPORTED", "PUSH"]);

    const postboxClient = new Client(emu);
    const box = await postboxClient.onboard();
    const postboxWrite = await postboxClient.write(box, Buffer.from("sealed"));
    expect(postboxWrite.status).toBe(200);
    const page = await (await fetch(`${emu.libraryUrl}`)).text();
    expect(page).toContain("FHIR push");
    expect(page).toContain("postbox write");
    expect(page).toContain(pushAccountId);
    expect(page).toContain("FHIR stu3 Bundle");
  });
});
