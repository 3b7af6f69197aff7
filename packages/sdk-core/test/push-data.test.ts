import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { importSPKI, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { DataRequiredError, NetworkError, pushData, ServerError, TypeValidationError } from "../src/index.ts";
import { CLAIMS } from "./support/claims.ts";
import { APPLICATION_ID, CONTRACT_KEY, contractDetails, vectors } from "./support/fake-digime.ts";
import { chunksOf, fileDataKinds, streamOf } from "./support/streams.ts";
import { sdkFor, useFakeDigime } from "./support/use-fake-digime.ts";

const fake = useFakeDigime();

const sdk = (extra: Record<string, unknown> = {}) => sdkFor(fake, extra);
const descriptor = {
  mimeType: "text/plain",
  accounts: [{ accountId: "acc-1" }],
  reference: ["r"],
  tags: ["t"],
};

// biome-ignore lint/suspicious/noExplicitAny: options of every shape, wrong ones included.
const library = (fileData: unknown, extra: Record<string, unknown> = {}): any => ({
  type: "library",
  contractDetails: { contractId: contractDetails.contractId, privateKey: contractDetails.privateKey },
  userAccessToken: fake.issueTokens(),
  data: { fileData, fileName: "ignored.txt", fileDescriptor: descriptor },
  ...extra,
});

// biome-ignore lint/suspicious/noExplicitAny: options of every shape, wrong ones included.
const provider = (extra: Record<string, unknown> = {}): any => ({
  type: "provider",
  contractDetails: { contractId: contractDetails.contractId, privateKey: contractDetails.privateKey },
  userAccessToken: fake.issueTokens(),
  data: { resourceType: "Bundle", type: "transaction", entry: [] },
  standard: "fhir",
  version: "stu3",
  accountId: "acc-push-1",
  ...extra,
});

const imports = () => fake.requests.filter((r) => r.route === "import");
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => Promise.reject(new Error("resolved")),
    (e) => e,
  );

describe("pushData library: every kind of fileData arrives byte for byte, as it is", () => {
  const plain = new Uint8Array(randomBytes(200_003));
  const cases = fileDataKinds(plain);
  for (const [name, make] of cases) {
    it(name, async () => {
      const options = library(make());
      const result = await sdk().pushData(options);
      expect(result).toEqual({ userAccessToken: options.userAccessToken });
      expect(fake.imports).toHaveLength(1);
      expect(Buffer.compare(fake.imports[0]?.data ?? Buffer.alloc(0), Buffer.from(plain))).toBe(0);
      expect(fake.imports[0]?.descriptor).toEqual(descriptor);
      expect(fake.imports[0]?.contentType).toBe("application/octet-stream");
    });
  }

  it("an empty file", async () => {
    await sdk().pushData(library(new Uint8Array(0)));
    expect(fake.imports[0]?.data.length).toBe(0);
  });

  it("also without streamed uploads (a Blob body, as in browsers over HTTP/1.1)", async () => {
    const progress: [number, number | undefined][] = [];
    await sdk({ streamUploads: false }).pushData(
      library(streamOf(chunksOf(plain, 7_000)), {
        onProgress: (s: number, t?: number) => progress.push([s, t]),
      }),
    );
    expect(Buffer.compare(fake.imports[0]?.data ?? Buffer.alloc(0), Buffer.from(plain))).toBe(0);
    expect(progress.at(-1)).toEqual([plain.length, plain.length]);
  });
});

describe("pushData library: the request", () => {
  it("signs the FileDescriptor header with the contract key (verified by jose): payload exactly { metadata }", async () => {
    // The caller's descriptor, members and their order as given.
    const own = { tags: ["z"], mimeType: "application/json", accounts: [{ accountId: "a" }], extra: 1 };
    await sdk().pushData(
      library(new Uint8Array([1, 2, 3]), { data: { fileData: new Uint8Array([1]), fileDescriptor: own } }),
    );
    const [seen] = imports();
    const jwt = String(seen?.headers.filedescriptor);
    const key = await importSPKI(vectors.keys.contract.publicSpki, "PS512");
    const { payload, protectedHeader } = await jwtVerify(jwt, key, { algorithms: ["PS512"] });
    expect(protectedHeader).toEqual({ alg: "PS512", typ: "JWT" });
    expect(payload).toEqual({ metadata: own });
    expect(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString()).toBe(
      JSON.stringify({ metadata: own }),
    );
  });

  it("carries exactly access_token, client_id, nonce and timestamp, and no file name", async () => {
    const options = library(new Uint8Array(10));
    await sdk().pushData(options);
    const [seen] = imports();
    expect(Object.keys(seen?.claims ?? {})).toEqual(CLAIMS.user);
    expect(seen?.claims).toMatchObject({
      access_token: options.userAccessToken.accessToken.value,
      client_id: `${APPLICATION_ID}_${contractDetails.contractId}`,
    });
    expect(seen?.path).toBe("/v1.7/permission-access/import");
    expect(JSON.stringify(seen?.headers)).not.toContain("ignored.txt");
  });

  it("streams a stream of unknown length chunked, and bytes with their length; reports progress to the end", async () => {
    const plain = new Uint8Array(randomBytes(300_000));
    const progress: [number, number | undefined][] = [];
    const onProgress = (sent: number, total?: number) => progress.push([sent, total]);
    await sdk().pushData(library(streamOf(chunksOf(plain, 50_000)), { onProgress }));
    expect(imports()[0]?.headers["transfer-encoding"]).toBe("chunked");
    expect(progress.at(-1)).toEqual([plain.length, undefined]);
    progress.length = 0;
    await sdk().pushData(library(plain, { onProgress }));
    expect(imports()[1]?.headers["content-length"]).toBe(String(plain.length));
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toEqual([plain.length, plain.length]);
  });
});

describe("pushData: the token", () => {
  it("401 InvalidToken with bytes: refreshes once, sends the whole body again with a fresh JWT, calls the hooks once", async () => {
    const plain = new Uint8Array(randomBytes(70_000));
    const options = library(plain);
    fake.expire(options.userAccessToken.accessToken.value);
    const changes: unknown[] = [];
    const refreshed: unknown[] = [];
    const result = await sdk().pushData({
      ...options,
      onAccessTokenChange: (t: unknown) => void changes.push(t),
      onTokenRefreshed: (t: unknown) => void refreshed.push(t),
    });
    expect(result.userAccessToken.accessToken.value).not.toBe(options.userAccessToken.accessToken.value);
    expect(changes).toEqual([result.userAccessToken]);
    expect(refreshed).toEqual([result.userAccessToken]);
    expect(imports()).toHaveLength(2);
    expect(imports()[1]?.claims?.access_token).toBe(result.userAccessToken.accessToken.value);
    expect(fake.imports).toHaveLength(1);
    expect(Buffer.compare(fake.imports[0]?.data ?? Buffer.alloc(0), Buffer.from(plain))).toBe(0);
    expect(fake.repeatedNonces).toEqual([]);
  });

  it("a Blob is sent again whole after the refresh", async () => {
    const plain = new Uint8Array(randomBytes(90_000));
    const options = library(new Blob([plain]));
    fake.expire(options.userAccessToken.accessToken.value);
    await sdk().pushData(options);
    expect(imports()).toHaveLength(2);
    expect(imports()[0]?.bodyLength).toBe(plain.length);
    expect(Buffer.compare(fake.imports[0]?.data ?? Buffer.alloc(0), Buffer.from(plain))).toBe(0);
  });

  it("a spent stream: DataRequiredError (DATA_REQUIRED) with the refreshed token, never an empty body", async () => {
    const options = library(streamOf([new Uint8Array(1000), new Uint8Array(2000)]));
    fake.expire(options.userAccessToken.accessToken.value);
    const changes: unknown[] = [];
    const error = await failure(
      sdk().pushData({ ...options, onAccessTokenChange: (t: unknown) => void changes.push(t) }),
    );
    expect(error).toBeInstanceOf(DataRequiredError);
    expect(error).toMatchObject({ name: "DataRequiredError", code: "DATA_REQUIRED" });
    expect(error.userAccessToken.accessToken.value).toMatch(/^at-/);
    expect(error.userAccessToken.accessToken.value).not.toBe(options.userAccessToken.accessToken.value);
    expect(changes).toEqual([error.userAccessToken]);
    expect(imports()).toHaveLength(1);
    expect(imports()[0]?.bodyLength).toBe(3000);
    expect(fake.imports).toHaveLength(0);
    // The carried token is off the object: a log of the error does not show it.
    expect(JSON.stringify(error)).not.toContain(error.userAccessToken.accessToken.value);
    expect(inspect(error)).not.toContain(error.userAccessToken.refreshToken.value);
  });

  it("a 401 without an error body refreshes too; an error after the refresh carries the new token", async () => {
    fake.script(
      "import",
      { raw: (_req, res) => res.writeHead(401).end() },
      { status: 400, body: { error: { code: "Nope" } } },
    );
    const error = await failure(sdk().pushData(library(new Uint8Array(5))));
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ status: 400, code: "Nope" });
    expect(error.userAccessToken?.accessToken.value).toMatch(/^at-/);
    expect(fake.requests.filter((r) => r.route === "token")).toHaveLength(1);
  });

  it("reads the X-Error-* headers when there is no body: 401 InvalidToken refreshes", async () => {
    fake.script("import", {
      raw: (_req, res) =>
        res
          .writeHead(401, {
            "X-Error-Code": "InvalidToken",
            "X-Error-Message": "expired",
            "X-Error-Reference": "r-1",
          })
          .end(),
    });
    const result = await sdk().pushData(library(new Uint8Array(5)));
    expect(result.userAccessToken.accessToken.value).toMatch(/^at-/);
    expect(imports()).toHaveLength(2);
  });

  it("any 2xx is success, a body that is not JSON too (the import API needs none)", async () => {
    const text = {
      raw: (_req: unknown, res: import("node:http").ServerResponse) => res.writeHead(200).end("OK"),
    };
    fake.script("import", text);
    fake.script("fhir", text);
    const pushed = await sdk().pushData(library(new Uint8Array(5)));
    expect(pushed.userAccessToken.accessToken.value).toMatch(/^at-/);
    await sdk().pushData(provider());
    expect(imports()).toHaveLength(1);
  });

  it("another 401 code is not a stale token: no refresh", async () => {
    fake.script("import", { status: 401, body: { error: { code: "InvalidClient", message: "no" } } });
    const error = await failure(sdk().pushData(library(new Uint8Array(5))));
    expect(error).toMatchObject({ status: 401, code: "InvalidClient" });
    expect(fake.requests.filter((r) => r.route === "token")).toHaveLength(0);
  });

  it("uses `refresh` instead of the built-in refresh, and checks its answer", async () => {
    const options = library(new Uint8Array(5));
    fake.expire(options.userAccessToken.accessToken.value);
    const fresh = fake.issueTokens();
    const result = await sdk().pushData({ ...options, refresh: async () => fresh });
    expect(result.userAccessToken).toEqual(fresh);
    expect(fake.requests.filter((r) => r.route === "token")).toHaveLength(0);
    const bad = library(new Uint8Array(5));
    fake.expire(bad.userAccessToken.accessToken.value);
    const error = await failure(sdk().pushData({ ...bad, refresh: async () => ({ nope: 1 }) }));
    expect(error).toBeInstanceOf(TypeValidationError);
    expect(error.issues[0]?.path).toEqual(["refresh"]);
  });
});

describe("pushData: retries, abort and delivery, as for write", () => {
  it("retries a 503 (honouring Retry-After) with a fresh nonce, bytes sent whole again", async () => {
    fake.script("import", {
      status: 503,
      body: { error: { code: "Busy" } },
      headers: { "Retry-After": "0" },
    });
    await sdk().pushData(library(new Uint8Array(randomBytes(1000))));
    expect(imports()).toHaveLength(2);
    expect(new Set(imports().map((r) => r.claims?.nonce)).size).toBe(2);
    expect(fake.imports).toHaveLength(1);
  });

  it("does not retry a stream that went out: the 503 ends the push", async () => {
    fake.script("import", { status: 503, body: { error: { code: "Busy" } } });
    const error = await failure(sdk().pushData(library(streamOf([new Uint8Array(100)]))));
    expect(error).toMatchObject({ name: "ServerError", status: 503, code: "Busy" });
    expect(imports()).toHaveLength(1);
  });

  it("an aborted push is a NetworkError ABORTED that says nothing was sent", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await failure(sdk().pushData(library(new Uint8Array(5), { signal: controller.signal })));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: "ABORTED", delivery: "not-sent" });
    expect(imports()).toHaveLength(0);
  });

  it("a connection refused before anything went out: delivery not-sent", async () => {
    const refused: typeof fetch = () => Promise.reject(new TypeError("fetch failed"));
    const error = await failure(sdk({ fetch: refused, retry: false }).pushData(library(new Uint8Array(5))));
    expect(error).toMatchObject({ name: "NetworkError", code: "NETWORK", delivery: "not-sent" });
  });

  it("a connection dropped after the body: delivery unknown", async () => {
    fake.script("import", "drop");
    const error = await failure(sdk({ retry: false }).pushData(library(new Uint8Array(50_000))));
    expect(error).toMatchObject({ name: "NetworkError", delivery: "unknown" });
  });

  it("no secret in an error: token, refresh token, private key", async () => {
    const options = library(new Uint8Array(5));
    fake.script("import", {
      status: 500,
      body: {
        error: {
          code: "Boom",
          message: `bad ${options.userAccessToken.accessToken.value} ${options.userAccessToken.refreshToken.value}`,
        },
      },
    });
    const error = await failure(sdk({ retry: false }).pushData(options));
    const text = `${inspect(error)} ${JSON.stringify(error)} ${error.message}`;
    expect(text).not.toContain(options.userAccessToken.accessToken.value);
    expect(text).not.toContain(options.userAccessToken.refreshToken.value);
    expect(text).not.toContain("PRIVATE KEY");
  });
});

describe("pushData provider (FHIR)", () => {
  it("posts the resource as JSON to h:accountId/fhir/{version} with the accountId header", async () => {
    for (const version of ["stu3", "3.0.2"]) {
      const options = provider({ version });
      const result = await sdk().pushData(options);
      expect(result).toEqual({ userAccessToken: options.userAccessToken });
    }
    const seen = fake.requests.filter((r) => r.route === "fhir");
    expect(seen.map((r) => r.path)).toEqual([
      "/v1.7/permission-access/import/h:accountId/fhir/stu3",
      "/v1.7/permission-access/import/h:accountId/fhir/3.0.2",
    ]);
    expect(seen[0]?.headers.accountid).toBe("acc-push-1");
    expect(seen[0]?.headers["content-type"]).toBe("application/json");
    expect(seen[0]?.headers.filedescriptor).toBeUndefined();
    expect(Object.keys(seen[0]?.claims ?? {})).toEqual(CLAIMS.user);
    expect(fake.resources.map((r) => r.resource)).toEqual([provider().data, provider().data]);
  });

  it("refreshes on 401 InvalidToken and sends the JSON again", async () => {
    const options = provider();
    fake.expire(options.userAccessToken.accessToken.value);
    const result = await pushData({ applicationId: APPLICATION_ID, baseUrl: fake.baseUrl }, options);
    expect(result.userAccessToken.accessToken.value).not.toBe(options.userAccessToken.accessToken.value);
    expect(fake.resources).toHaveLength(1);
  });

  it("an account that is not the user's PUSH account is digi.me's error", async () => {
    const error = await failure(sdk().pushData(provider({ accountId: "acc-other" })));
    expect(error).toMatchObject({ name: "ServerError", status: 404, code: "AccountNotFound" });
  });
});

describe("pushData: bad options are refused before any request, naming the field", () => {
  const cases: [string, () => unknown, (string | number)[]][] = [
    ["no type", () => ({ ...library(new Uint8Array(1)), type: undefined }), ["type"]],
    ["an unknown type", () => ({ ...library(new Uint8Array(1)), type: "postbox" }), ["type"]],
    ["fileData of no accepted kind", () => library("text"), ["data", "fileData"]],
    [
      "a locked stream",
      () => {
        const s = streamOf([]);
        s.getReader();
        return library(s);
      },
      ["data", "fileData"],
    ],
    [
      "a bad descriptor",
      () => ({
        ...library(new Uint8Array(1)),
        data: { fileData: new Uint8Array(1), fileDescriptor: { accounts: [] } },
      }),
      ["data", "fileDescriptor", "mimeType"],
    ],
    [
      "a bad file name",
      () => ({
        ...library(new Uint8Array(1)),
        data: { fileData: new Uint8Array(1), fileName: "a/b", fileDescriptor: descriptor },
      }),
      ["data", "fileName"],
    ],
    ["no token", () => ({ ...library(new Uint8Array(1)), userAccessToken: undefined }), ["userAccessToken"]],
    ["a bad onProgress", () => library(new Uint8Array(1), { onProgress: 1 }), ["onProgress"]],
    [
      "a bad onAccessTokenChange",
      () => library(new Uint8Array(1), { onAccessTokenChange: "x" }),
      ["onAccessTokenChange"],
    ],
    [
      "a bad key",
      () =>
        library(new Uint8Array(1), {
          contractDetails: {
            contractId: "c",
            privateKey: "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----",
          },
        }),
      ["contractDetails", "privateKey"],
    ],
    ["provider data not an object", () => provider({ data: [1] }), ["data"]],
    ["provider data that is no JSON", () => provider({ data: { n: 1n } }), ["data"]],
    ["provider standard", () => provider({ standard: "hl7" }), ["standard"]],
    ["provider version", () => provider({ version: "r4" }), ["version"]],
    ["provider accountId with a line break", () => provider({ accountId: "a\r\nX-Evil: 1" }), ["accountId"]],
    ["provider accountId missing", () => provider({ accountId: undefined }), ["accountId"]],
  ];
  for (const [name, make, path] of cases) {
    it(name, async () => {
      const error = await failure(sdk().pushData(make() as never));
      expect(error).toBeInstanceOf(TypeValidationError);
      expect(error.issues.map((i: { path: unknown }) => i.path)).toContainEqual(path);
      expect(error.message).not.toContain(CONTRACT_KEY.slice(40, 80));
      expect(fake.requests).toHaveLength(0);
    });
  }
});
