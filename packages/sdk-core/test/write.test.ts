import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { ResealRequiredError, ServerError, seal, TypeValidationError } from "../src/index.ts";
import { CLAIMS } from "./support/claims.ts";
import { countingFetch } from "./support/counting-fetch.ts";
import { contractDetails, openSealed, POSTBOX_PUBLIC_KEY, parseMultipart } from "./support/fake-digime.ts";
import { fileDataKinds, streamOfBytes } from "./support/streams.ts";
import { sdkFor, sealForPostbox, useFakeDigime, writeOptionsFor } from "./support/use-fake-digime.ts";

const fake = useFakeDigime();

const descriptor = { mimeType: "application/octet-stream", accounts: [{ accountId: "acc-1" }], tags: ["t"] };
const sdk = (extra: Record<string, unknown> = {}) => sdkFor(fake, extra);

const writeOptions = (fileData: unknown, extra: Record<string, unknown> = {}) =>
  writeOptionsFor(fake, fileData, descriptor, extra);

describe("write: every kind of fileData arrives byte for byte", () => {
  const plain = new Uint8Array(randomBytes(100_003));
  const cases = fileDataKinds(plain);
  for (const [name, make] of cases) {
    it(name, async () => {
      const result = await sdk().write(writeOptions(make()));
      expect(result.status).toBe("delivered");
      expect(fake.files).toHaveLength(1);
      const [file] = fake.files;
      expect(Buffer.compare(file?.data ?? Buffer.alloc(0), Buffer.from(plain))).toBe(0);
      expect(file?.descriptor).toEqual(descriptor);
      expect(file?.fileName).toBe("file.bin");
      expect(file?.partContentType).toBe("application/octet-stream");
      expect(file?.postboxId).toBe("postbox-1");
    });
  }

  it("an empty file", async () => {
    await sdk().write(writeOptions(new Uint8Array(0)));
    expect(fake.files[0]?.data.length).toBe(0);
  });
});

describe("write: streaming", () => {
  it("streams 20 MiB from a ReadableStream (chunked, unknown length) and reports progress", async () => {
    const plain = new Uint8Array(20 * 1024 * 1024);
    for (let i = 0; i < plain.length; i += 65_536)
      plain.set(randomBytes(Math.min(65_536, plain.length - i)), i);
    const progress: [number, number | undefined][] = [];
    await sdk().write(
      writeOptions(streamOfBytes(plain, 1_000_000), {
        onProgress: (s: number, t?: number) => progress.push([s, t]),
      }),
    );
    expect(Buffer.compare(fake.files[0]?.data ?? Buffer.alloc(0), Buffer.from(plain))).toBe(0);
    const seen = fake.requests.find((r) => r.route === "write");
    expect(seen?.headers["transfer-encoding"]).toBe("chunked");
    expect(progress.length).toBeGreaterThan(10);
    expect(progress.at(-1)?.[0]).toBe(seen?.bodyLength);
    expect(progress.every(([, total]) => total === undefined)).toBe(true);
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]?.[0]).toBeGreaterThan(progress[i - 1]?.[0] ?? 0);
  });

  it("sends Content-Length when the size is known (Blob) and progress reaches it", async () => {
    const plain = new Uint8Array(randomBytes(300_001));
    const progress: [number, number | undefined][] = [];
    await sdk().write(
      writeOptions(new Blob([plain]), { onProgress: (s: number, t?: number) => progress.push([s, t]) }),
    );
    const seen = fake.requests.find((r) => r.route === "write");
    expect(seen?.headers["content-length"]).toBe(String(seen?.bodyLength));
    expect(progress.at(-1)).toEqual([seen?.bodyLength, seen?.bodyLength]);
    expect(Buffer.compare(fake.files[0]?.data ?? Buffer.alloc(0), Buffer.from(plain))).toBe(0);
  });

  it("without streamed uploads (as in a browser) sends a Blob body and reports the total at the end", async () => {
    const plain = new Uint8Array(randomBytes(70_000));
    const progress: [number, number | undefined][] = [];
    await sdk({ streamUploads: false }).write(
      writeOptions(streamOfBytes(plain, 999), {
        onProgress: (s: number, t?: number) => progress.push([s, t]),
      }),
    );
    const seen = fake.requests.find((r) => r.route === "write");
    expect(seen?.headers["transfer-encoding"]).toBeUndefined();
    expect(seen?.headers["content-length"]).toBe(String(seen?.bodyLength));
    expect(progress).toEqual([[seen?.bodyLength, seen?.bodyLength]]);
    expect(Buffer.compare(fake.files[0]?.data ?? Buffer.alloc(0), Buffer.from(plain))).toBe(0);
  });
});

describe("write: the request", () => {
  it("signs exactly the wire format's claims, with the access token and the envelope", async () => {
    const options = writeOptions(new Uint8Array([1, 2, 3]));
    await sdk().write(options);
    const seen = fake.requests.find((r) => r.route === "write");
    expect(Object.keys(seen?.claims ?? {})).toEqual(CLAIMS.write);
    expect(seen?.claims?.access_token).toBe(options.userAccessToken.accessToken.value);
    expect(seen?.claims?.iv).toMatch(/^[0-9a-f]{32}$/);
    // Standard padded base64 (not base64url): a 2048-bit wrap is 256 bytes, the descriptor 3 blocks.
    const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
    expect(seen?.claims?.symmetrical_key).toMatch(base64);
    expect(Buffer.from(String(seen?.claims?.symmetrical_key), "base64")).toHaveLength(256);
    expect(seen?.claims?.metadata).toMatch(base64);
    expect(Buffer.from(String(seen?.claims?.metadata), "base64").length % 16).toBe(0);
    expect(seen?.path).toBe("/v1.7/permission-access/postbox/postbox-1");
    const part = parseMultipart(String(seen?.headers["content-type"]), seen?.body ?? Buffer.alloc(0));
    expect(part.fileName).toBe("file.bin");
  });

  it("quotes a file name with a double quote as browsers do", async () => {
    const options = writeOptions(new Uint8Array([1]));
    options.data.fileName = 'a "b" ü.txt';
    await sdk().write(options);
    expect(fake.files[0]?.fileName).toBe("a %22b%22 ü.txt");
  });

  it("a fresh envelope for every write", async () => {
    await sdk().write(writeOptions(new Uint8Array([1])));
    await sdk().write(writeOptions(new Uint8Array([1])));
    expect(fake.files[0]?.iv).not.toBe(fake.files[1]?.iv);
  });
});

describe("write: token lifecycle", () => {
  it("pending -> refresh -> write again, returning the new token", async () => {
    const options = writeOptions(new Uint8Array(randomBytes(1000)));
    fake.expire(options.userAccessToken.accessToken.value);
    const result = await sdk().write(options);
    expect(result.status).toBe("delivered");
    expect(result.userAccessToken.accessToken.value).not.toBe(options.userAccessToken.accessToken.value);
    expect(fake.requests.map((r) => r.route)).toEqual(["write", "token", "jwks", "write"]);
    expect(fake.files).toHaveLength(1);
    expect(fake.files[0]?.accessToken).toBe(result.userAccessToken.accessToken.value);
  });

  it("401 InvalidToken -> refresh -> write again", async () => {
    const options = writeOptions(new Blob([new Uint8Array(5000)]));
    fake.script("write", "invalid-token");
    const result = await sdk().write(options);
    expect(result.status).toBe("delivered");
    expect(result.userAccessToken.refreshToken.value).not.toBe(options.userAccessToken.refreshToken.value);
    // A Blob can be read again: the second write is sealed afresh.
    const writes = fake.requests.filter((r) => r.route === "write");
    expect(writes).toHaveLength(2);
    expect(writes[0]?.claims?.iv).not.toBe(writes[1]?.claims?.iv);
    expect(writes[1]?.bodyLength).toBe(writes[0]?.bodyLength);
  });

  it("awaits onTokenRefreshed before the new token is used", async () => {
    const options = writeOptions(new Uint8Array([9]));
    fake.expire(options.userAccessToken.accessToken.value);
    const events: string[] = [];
    const result = await sdk().write({
      ...options,
      onTokenRefreshed: async (token: { accessToken: { value: string } }) => {
        await new Promise((r) => setTimeout(r, 20));
        events.push(
          `stored ${token.accessToken.value} after ${fake.requests.filter((r) => r.route === "write").length} writes`,
        );
      },
    });
    expect(events).toEqual([`stored ${result.userAccessToken.accessToken.value} after 1 writes`]);
  });

  it("uses a refresh override instead of the built-in refresh", async () => {
    const options = writeOptions(new Uint8Array([9]));
    fake.expire(options.userAccessToken.accessToken.value);
    const replacement = fake.issueTokens();
    let staleSeen: unknown;
    const result = await sdk().write({
      ...options,
      refresh: async (stale: unknown) => {
        staleSeen = stale;
        return replacement;
      },
    });
    expect(staleSeen).toEqual(options.userAccessToken);
    expect(result.userAccessToken).toEqual(replacement);
    expect(fake.requests.some((r) => r.route === "token")).toBe(false);
  });

  it("a stream input cannot be sent again: RESEAL_REQUIRED with the refreshed token, no empty body", async () => {
    const options = writeOptions(streamOfBytes(new Uint8Array(randomBytes(50_000))));
    fake.expire(options.userAccessToken.accessToken.value);
    const error = await sdk()
      .write(options)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResealRequiredError);
    expect((error as ResealRequiredError).code).toBe("RESEAL_REQUIRED");
    const fresh = (error as ResealRequiredError).userAccessToken;
    expect(fresh.accessToken.value).toMatch(/^at-/);
    expect(fresh.accessToken.value).not.toBe(options.userAccessToken.accessToken.value);
    expect(fake.requests.filter((r) => r.route === "write")).toHaveLength(1);
    expect(fake.requests.filter((r) => r.route === "token")).toHaveLength(1);
    // The refreshed token works (the old refresh token is spent).
    const again = await sdk().write({ ...writeOptions(new Uint8Array([1])), userAccessToken: fresh });
    expect(again.status).toBe("delivered");
  });

  it("a 401 from the refresh itself is reported as a ServerError", async () => {
    const options = writeOptions(new Uint8Array([1]));
    fake.expire(options.userAccessToken.accessToken.value);
    fake.script("token", "invalid-token");
    const error = await sdk()
      .write(options)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ status: 401, code: "InvalidToken" });
  });
});

describe("write: a failure after a refresh", () => {
  it("the error carries the refreshed token, which works; it never shows in the error's text", async () => {
    const options = writeOptions(new Uint8Array([1, 2, 3]));
    const busy = { status: 503, body: { error: { code: "Unavailable", message: "busy" } } };
    fake.script("write", "pending", busy, busy, busy);
    const error = await sdk()
      .write(options)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ status: 503, retryable: true });
    const fresh = (error as ServerError).userAccessToken;
    expect(fresh?.refreshToken.value).toMatch(/^rt-/);
    expect(fresh?.refreshToken.value).not.toBe(options.userAccessToken.refreshToken.value);
    const text = `${String(error)} ${JSON.stringify(error)} ${inspect(error, { showHidden: true })}`;
    expect(text).not.toContain(fresh?.accessToken.value);
    expect(text).not.toContain(fresh?.refreshToken.value);
    const again = await sdk().write({ ...writeOptions(new Uint8Array([1])), userAccessToken: fresh });
    expect(again.status).toBe("delivered");
  });

  it("an error without a refresh carries no token", async () => {
    fake.script("write", { status: 500, body: {} });
    const error = await sdk()
      .write(writeOptions(new Uint8Array([1])))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).userAccessToken).toBeUndefined();
  });
});

describe("write: retries", () => {
  it("retries a 503 for bytes, with a fresh nonce and JWT", async () => {
    fake.script("write", { status: 503, body: { error: { code: "Unavailable", message: "busy" } } });
    const result = await sdk().write(writeOptions(new Uint8Array([1, 2])));
    expect(result.status).toBe("delivered");
    const writes = fake.requests.filter((r) => r.route === "write");
    expect(writes).toHaveLength(2);
    expect(writes[0]?.claims?.nonce).not.toBe(writes[1]?.claims?.nonce);
    expect(writes[0]?.headers.authorization).not.toBe(writes[1]?.headers.authorization);
    expect(fake.repeatedNonces).toEqual([]);
  });

  it("a fresh envelope for every request of a write of bytes: after a 503 and after pending", async () => {
    const plain = new Uint8Array(randomBytes(3000));
    const options = writeOptions(plain);
    fake.script(
      "write",
      { status: 503, body: { error: { code: "Unavailable", message: "busy" } } },
      "pending",
    );
    const result = await sdk().write(options);
    expect(result.status).toBe("delivered");
    const writes = fake.requests.filter((r) => r.route === "write");
    expect(writes).toHaveLength(3);
    expect(new Set(writes.map((w) => w.claims?.iv)).size).toBe(3);
    expect(new Set(writes.map((w) => w.claims?.symmetrical_key)).size).toBe(3);
    expect(fake.files).toHaveLength(1);
    expect(Buffer.compare(fake.files[0]?.data ?? Buffer.alloc(0), Buffer.from(plain))).toBe(0);
  });

  it("does not resend a Blob whose connection dropped after the body went out (unknown outcome)", async () => {
    fake.script("write", "drop");
    const error = await sdk()
      .write(writeOptions(new Blob([new Uint8Array(10_000)])))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "NetworkError", code: "NETWORK", delivery: "unknown" });
    expect(fake.requests.filter((r) => r.route === "write")).toHaveLength(1);
  });

  it("with resendWhenUnknown, retries a dropped connection for a Blob (sealed afresh)", async () => {
    fake.script("write", "drop");
    const result = await sdk({ retry: { baseDelayMs: 1, resendWhenUnknown: true } }).write(
      writeOptions(new Blob([new Uint8Array(10_000)])),
    );
    expect(result.status).toBe("delivered");
    const writes = fake.requests.filter((r) => r.route === "write");
    expect(writes).toHaveLength(2);
    expect(writes[0]?.claims?.iv).not.toBe(writes[1]?.claims?.iv);
  });

  it("does not retry a stream body", async () => {
    fake.script("write", { status: 503, body: { error: { code: "Unavailable", message: "busy" } } });
    const error = await sdk()
      .write(writeOptions(streamOfBytes(new Uint8Array(1000))))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ status: 503, code: "Unavailable", retryable: true });
    expect(fake.requests.filter((r) => r.route === "write")).toHaveLength(1);
  });
});

describe("write: writeReference marks every request of a write", () => {
  /** The descriptor each write request carried, decrypted with the postbox's private key. */
  const descriptorsSent = () =>
    fake.requests
      .filter((r) => r.route === "write")
      .map((r) => {
        const { iv, symmetrical_key, metadata } = r.claims as {
          iv: string;
          symmetrical_key: string;
          metadata: string;
        };
        const file = parseMultipart(String(r.headers["content-type"]), r.body).data;
        return openSealed({ iv, symmetricalKey: symmetrical_key, metadata }, file).descriptor;
      });

  it("true: one new random marker, the last reference of every request, returned in the result", async () => {
    fake.script("write", { status: 503, body: {} });
    const mine = { ...descriptor, reference: ["mine"] };
    const result = await sdk().write(
      writeOptions(new Uint8Array(100), {
        writeReference: true,
        data: { ...writeOptions(new Uint8Array(100)).data, fileDescriptor: mine },
      }),
    );
    expect(result.writeReference).toMatch(/^write:[A-Za-z0-9]{24}$/);
    const sent = descriptorsSent();
    expect(sent).toHaveLength(2);
    for (const d of sent) expect(d).toEqual({ ...mine, reference: ["mine", result.writeReference] });
    expect(mine.reference).toEqual(["mine"]);
    const other = await sdk().write(writeOptions(new Uint8Array(100), { writeReference: true }));
    expect(other.writeReference).not.toBe(result.writeReference);
  });

  it("a string is used as it is; without the option the descriptor is sent unchanged", async () => {
    const marked = await sdk().write(writeOptions(new Uint8Array(10), { writeReference: "upload-42" }));
    expect(marked.writeReference).toBe("upload-42");
    const plain = await sdk().write(writeOptions(new Uint8Array(10)));
    expect(plain).not.toHaveProperty("writeReference");
    expect(descriptorsSent()).toEqual([{ ...descriptor, reference: ["upload-42"] }, descriptor]);
  });

  it("seal takes it too", async () => {
    const sealed = await seal({
      publicKey: POSTBOX_PUBLIC_KEY,
      fileData: new Uint8Array(32),
      fileDescriptor: descriptor,
      writeReference: true,
    });
    const { descriptor: opened } = openSealed(sealed, Buffer.from(sealed.body as Uint8Array));
    expect(opened.reference).toEqual([sealed.writeReference]);
  });

  it("refuses anything but true or a non-empty string", async () => {
    for (const writeReference of [false, "", 7]) {
      const error = await sdk()
        .write(writeOptions(new Uint8Array(10), { writeReference }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TypeValidationError);
      expect((error as TypeValidationError).issues.map((i) => i.path)).toEqual([["writeReference"]]);
    }
    expect(fake.requests).toHaveLength(0);
  });
});

describe("write: bad input is refused before any request", () => {
  const bad: [string, (o: ReturnType<typeof writeOptions>) => void, (string | number)[]][] = [
    ["a string as fileData", (o) => (o.data.fileData = "text"), ["data", "fileData"]],
    ["a number[] as fileData", (o) => (o.data.fileData = [1, 2]), ["data", "fileData"]],
    ["a postboxId with a slash", (o) => (o.postboxId = "../x"), ["postboxId"]],
    ["a postboxId with %", (o) => (o.postboxId = "a%2F"), ["postboxId"]],
    ["a file name with a path", (o) => (o.data.fileName = "dir/file"), ["data", "fileName"]],
    ["a file name with a newline", (o) => (o.data.fileName = "a\nb"), ["data", "fileName"]],
    [
      "a descriptor without accounts",
      (o) => (o.data.fileDescriptor = { mimeType: "x" }),
      ["data", "fileDescriptor", "accounts"],
    ],
    [
      "a public key that does not import",
      (o) => (o.publicKey = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"),
      ["publicKey"],
    ],
    [
      "a private key that does not import",
      (o) =>
        (o.contractDetails = {
          ...contractDetails,
          privateKey: "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----",
        }),
      ["contractDetails", "privateKey"],
    ],
    [
      "a token without refresh token",
      (o) => (o.userAccessToken = { accessToken: o.userAccessToken.accessToken }),
      ["userAccessToken", "refreshToken"],
    ],
  ];
  for (const [name, spoil, path] of bad) {
    it(name, async () => {
      const counted = countingFetch();
      const client = sdk({ fetch: counted.fetch });
      const options = writeOptions(new Uint8Array([1]));
      spoil(options);
      const error = await client.write(options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TypeValidationError);
      expect((error as TypeValidationError).issues.map((i) => i.path)).toContainEqual(path);
      expect(counted.calls).toBe(0);
    });
  }

  it("a locked ReadableStream", async () => {
    const stream = streamOfBytes(new Uint8Array(10));
    stream.getReader();
    const error = await sdk()
      .write(writeOptions(stream))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeValidationError);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("sendSealed", () => {
  it("sends what seal made; a pending answer is resent with the same envelope for bytes", async () => {
    const plain = new Uint8Array(randomBytes(4000));
    const sealed = await seal({ publicKey: POSTBOX_PUBLIC_KEY, fileData: plain, fileDescriptor: descriptor });
    const token = fake.issueTokens();
    fake.script("write", "pending");
    const result = await sdk().sendSealed({
      contractDetails,
      userAccessToken: token,
      postboxId: "pb-2",
      sealed,
      fileName: "s.bin",
    });
    expect(result.status).toBe("delivered");
    expect(result.userAccessToken.accessToken.value).not.toBe(token.accessToken.value);
    const writes = fake.requests.filter((r) => r.route === "write");
    expect(writes.map((w) => w.claims?.iv)).toEqual([sealed.iv, sealed.iv]);
    expect(writes[0]?.claims?.nonce).not.toBe(writes[1]?.claims?.nonce);
    expect(Buffer.compare(fake.files[0]?.data ?? Buffer.alloc(0), Buffer.from(plain))).toBe(0);
  });

  it("a sealed stream: RESEAL_REQUIRED after a pending answer; a spent stream is refused up front", async () => {
    const sealed = await sealForPostbox(new Blob([new Uint8Array(3000)]), descriptor);
    expect(sealed.body).toBeInstanceOf(ReadableStream);
    const token = fake.issueTokens();
    fake.expire(token.accessToken.value);
    const options = { contractDetails, userAccessToken: token, postboxId: "pb-3", sealed, fileName: "s.bin" };
    const error = await sdk()
      .sendSealed(options)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResealRequiredError);
    const again = await sdk()
      .sendSealed({ ...options, userAccessToken: (error as ResealRequiredError).userAccessToken })
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(TypeValidationError);
    expect((again as TypeValidationError).code).toBe("BODY_CONSUMED");
    expect(fake.requests.filter((r) => r.route === "write")).toHaveLength(1);
  });

  it("refuses a sealed file whose fields are malformed", async () => {
    const sealed = await sealForPostbox(new Uint8Array(1), descriptor);
    const error = await sdk()
      .sendSealed({
        contractDetails,
        userAccessToken: fake.issueTokens(),
        postboxId: "pb",
        sealed: { ...sealed, iv: "00", metadata: "abc", body: new Uint8Array(15) },
        fileName: "s.bin",
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeValidationError);
    expect((error as TypeValidationError).issues.map((i) => i.path.join("."))).toEqual([
      "sealed.iv",
      "sealed.metadata",
      "sealed.body",
    ]);
    expect(fake.requests).toHaveLength(0);
  });
});
