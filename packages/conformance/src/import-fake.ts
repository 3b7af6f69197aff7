/**
 * The import API's cases against a fake digi.me (no network), each request checked with WebCrypto
 * here: `pushData` (import-push-fake.ts), `readAccounts`, `deleteUser`, errors from `X-Error-*`
 * headers, bad options.
 */
import * as sdk from "@digime-edge/sdk-core";
import { assert, deepEqual, equal, rejects, type TestFn } from "./harness.ts";
import { ACCOUNT, checkBearer, created, fakeDigime, library, PLAIN } from "./import-checks.ts";
import { importPushFakeCases } from "./import-push-fake.ts";
import { jsonResponse, type SeenRequest } from "./util.ts";
import { IMPORT_CONTRACT as CONTRACT, VECTOR_BASE, VECTOR_TOKEN, vectorClient } from "./vectors.ts";

/** The cases against the fake digi.me (no network). */
export function importFakeCases(test: TestFn) {
  importPushFakeCases(test);

  test("readAccounts: GET permission-access/accounts; the answer kept as given, members beyond checked ones too", async () => {
    const accounts = [
      { ...ACCOUNT, sample: false, favourite: { kept: true } },
      { ...ACCOUNT, id: "a2", type: "IMPORTED" },
    ];
    const fake = fakeDigime(() => jsonResponse(accounts));
    const result = await sdk.readAccounts(
      { applicationId: "app-vector", baseUrl: VECTOR_BASE, fetch: fake.fetch },
      { contractDetails: CONTRACT, userAccessToken: VECTOR_TOKEN },
    );
    deepEqual(result, { accounts, userAccessToken: VECTOR_TOKEN }, "the answer");
    const req = fake.seen[0] as SeenRequest;
    equal(req.method, "GET", "method");
    equal(req.url, `${VECTOR_BASE}permission-access/accounts`, "URL");
    equal(req.body.length, 0, "no body");
    await checkBearer(req, VECTOR_TOKEN.accessToken.value);
  });

  test("readAccounts: a malformed answer is a ServerError INVALID_RESPONSE", async () => {
    const { id: _, ...noId } = ACCOUNT;
    const malformed: [string, unknown][] = [
      ["an object", { accounts: [ACCOUNT] }],
      ["no id", [noId]],
      ["a numeric reference", [{ ...ACCOUNT, reference: 7 }]],
      ["an unknown type", [{ ...ACCOUNT, type: "SAVINGS" }]],
      ["a string createdDate", [{ ...ACCOUNT, createdDate: "2026-01-01" }]],
      [
        "accessTokenStatus.authorized not boolean",
        [{ ...ACCOUNT, accessTokenStatus: { authorized: "yes" } }],
      ],
      ["not JSON", "<html>"],
    ];
    for (const [label, answer] of malformed) {
      const fake = fakeDigime(() =>
        typeof answer === "string" ? new Response(answer, { status: 200 }) : jsonResponse(answer),
      );
      const client = vectorClient(fake.fetch);
      const err = await rejects(
        () => client.readAccounts({ contractDetails: CONTRACT, userAccessToken: VECTOR_TOKEN }),
        "ServerError",
        label,
      );
      equal(err.code, "INVALID_RESPONSE", `${label}: code`);
    }
  });

  test("deleteUser: DELETE {baseUrl}user with the Bearer JWT and no body; 204 is { deleted: true }", async () => {
    const fake = fakeDigime(() => new Response(null, { status: 204 }));
    const result = await vectorClient(fake.fetch).deleteUser({
      contractDetails: CONTRACT,
      userAccessToken: VECTOR_TOKEN,
    });
    deepEqual(result, { deleted: true }, "the answer");
    const req = fake.seen[0] as SeenRequest;
    equal(fake.seen.length, 1, "requests");
    equal(req.method, "DELETE", "method");
    equal(req.url, `${VECTOR_BASE}user`, "URL");
    equal(req.body.length, 0, "no body");
    await checkBearer(req, VECTOR_TOKEN.accessToken.value);
  });

  test("errors: X-Error-* headers without a body make the ServerError; a body's error comes first", async () => {
    const headers = {
      "x-error-code": "AccountNotFound",
      "x-error-message": "no such account",
      "x-error-reference": "ref-h",
    };
    const bare = fakeDigime(() => new Response(null, { status: 404, headers }));
    const client = vectorClient(bare.fetch);
    const options = { contractDetails: CONTRACT, userAccessToken: VECTOR_TOKEN };
    const err = await rejects(() => client.readAccounts(options), "ServerError");
    equal(err.status, 404, "status");
    equal(err.code, "AccountNotFound", "code");
    equal(err.reference, "ref-h", "reference");
    assert(err.message.includes("no such account"), "message");
    const both = fakeDigime(
      () =>
        new Response(
          JSON.stringify({ error: { code: "InsufficientScope", message: "m", reference: "ref-b" } }),
          {
            status: 403,
            headers: { ...headers, "content-type": "application/json" },
          },
        ),
    );
    const first = await rejects(() => vectorClient(both.fetch).deleteUser(options), "ServerError");
    equal(first.code, "InsufficientScope", "the body's code");
    equal(first.reference, "ref-b", "the body's reference");
  });

  test("input: bad options of every new call are a TypeValidationError naming the field; nothing sent", async () => {
    const fake = fakeDigime(created);
    const client = vectorClient(fake.fetch);
    const authorized = { contractDetails: CONTRACT, userAccessToken: VECTOR_TOKEN };
    const provider = {
      ...authorized,
      type: "provider",
      data: { resourceType: "Bundle" },
      standard: "fhir",
      version: "stu3",
      accountId: "acc-push-1",
    };
    const bad: [string, () => Promise<unknown>, string][] = [
      ["no type", () => client.pushData({ ...library(PLAIN), type: undefined } as never), "type"],
      ["type other", () => client.pushData({ ...library(PLAIN), type: "postbox" } as never), "type"],
      ["fileData a string", () => client.pushData(library("text" as never)), "data.fileData"],
      [
        "no fileDescriptor",
        () => client.pushData({ ...library(PLAIN), data: { fileData: PLAIN } } as never),
        "data.fileDescriptor",
      ],
      [
        "no mimeType",
        () =>
          client.pushData({
            ...library(PLAIN),
            data: { fileData: PLAIN, fileDescriptor: { accounts: [] } },
          } as never),
        "data.fileDescriptor.mimeType",
      ],
      ["version r4", () => client.pushData({ ...provider, version: "r4" } as never), "version"],
      ["standard hl7", () => client.pushData({ ...provider, standard: "hl7" } as never), "standard"],
      ["no accountId", () => client.pushData({ ...provider, accountId: undefined } as never), "accountId"],
      ["data an array", () => client.pushData({ ...provider, data: [] } as never), "data"],
      [
        "no token (accounts)",
        () => client.readAccounts({ contractDetails: CONTRACT } as never),
        "userAccessToken",
      ],
      [
        "no contract (delete)",
        () => client.deleteUser({ userAccessToken: VECTOR_TOKEN } as never),
        "contractDetails",
      ],
      [
        "a bad private key",
        () => client.deleteUser({ ...authorized, contractDetails: { ...CONTRACT, privateKey: "MIIE" } }),
        "contractDetails.privateKey",
      ],
      [
        "no state (v10)",
        () => client.getAuthorizeUrl({ contractDetails: CONTRACT, callback: "https://a.example/" }),
        "state",
      ],
      [
        "sourceType both",
        () =>
          client.getAuthorizeUrl({
            contractDetails: CONTRACT,
            callback: "https://a.example/",
            state: "s",
            sourceType: "both",
          } as never),
        "sourceType",
      ],
    ];
    for (const [label, call, field] of bad) {
      const err = await rejects(call, "TypeValidationError", label);
      const paths = ((err.issues ?? []) as sdk.ValidationIssue[]).map((i) => i.path.join("."));
      assert(paths.includes(field), `${label}: the issues name ${field} (got ${paths.join(", ") || "none"})`);
      assert(err.message.includes(field), `${label}: the message names ${field}`);
      assert(
        !err.message.includes("MIIE") && !err.message.includes("access-token-vector"),
        `${label}: echoes a secret`,
      );
    }
    equal(fake.seen.length, 0, "requests sent");
  });
}
