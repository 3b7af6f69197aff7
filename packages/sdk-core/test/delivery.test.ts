/**
 * `NetworkError.delivery` of a write: `"not-sent"` only when no body byte of any of the write's
 * requests was handed to the network, `"unknown"` otherwise; `undefined` for other requests.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { NetworkError } from "../src/index.ts";
import { contractDetails } from "./support/fake-digime.ts";
import { sdkFor, sealForPostbox, useFakeDigime, writeOptionsFor } from "./support/use-fake-digime.ts";

const fake = useFakeDigime();

const descriptor = { mimeType: "application/octet-stream", accounts: [{ accountId: "acc-1" }] };

const writeOptions = (fileData: unknown, extra: Record<string, unknown> = {}) =>
  writeOptionsFor(fake, fileData, descriptor, extra);

/** A base URL on 127.0.0.1 where nothing listens (the port was just freed). */
async function closedBaseUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1.7/`;
}

const refusedSdk = async (extra: Record<string, unknown> = {}) =>
  sdkFor({ baseUrl: await closedBaseUrl() }, extra);

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );

describe("NetworkError.delivery of a write", () => {
  it("connection refused before sending (streamed body): not-sent, after every retry", async () => {
    const error = await failure((await refusedSdk()).write(writeOptions(new Uint8Array(10_000))));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: "NETWORK", delivery: "not-sent" });
  });

  it("connection refused for a sealed stream sent once: not-sent", async () => {
    const sealed = await sealForPostbox(new Blob([new Uint8Array(3000)]), descriptor);
    expect(sealed.body).toBeInstanceOf(ReadableStream);
    const sdk = await refusedSdk();
    const error = await failure(
      sdk.sendSealed({
        contractDetails,
        userAccessToken: fake.issueTokens(),
        postboxId: "postbox-1",
        sealed,
        fileName: "file.bin",
      }),
    );
    expect(error).toMatchObject({ name: "NetworkError", code: "NETWORK", delivery: "not-sent" });
  });

  it("connection refused with a Blob body (sending not observable): unknown", async () => {
    const error = await failure(
      (await refusedSdk({ streamUploads: false })).write(writeOptions(new Uint8Array(10_000))),
    );
    expect(error).toMatchObject({ name: "NetworkError", code: "NETWORK", delivery: "unknown" });
  });

  it("aborted before any request: not-sent", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await failure(
      sdkFor(fake).write(writeOptions(new Uint8Array(1000), { signal: controller.signal })),
    );
    expect(error).toMatchObject({ name: "NetworkError", code: "ABORTED", delivery: "not-sent" });
    expect(fake.requests).toHaveLength(0);
  });

  it("connection dropped after the whole body was sent: unknown, and not sent again", async () => {
    fake.script("write", "drop");
    const error = await failure(sdkFor(fake).write(writeOptions(new Uint8Array(10_000))));
    expect(error).toMatchObject({ name: "NetworkError", code: "NETWORK", delivery: "unknown" });
    expect(fake.requests.filter((r) => r.route === "write")).toHaveLength(1);
    expect(fake.requests.every((r) => r.bodyLength > 10_000)).toBe(true);
    expect(fake.files).toHaveLength(0);
  });

  it("the same with resendWhenUnknown: sent again, delivered", async () => {
    fake.script("write", "drop");
    const sdk = sdkFor(fake, { retry: { baseDelayMs: 1, resendWhenUnknown: true } });
    const result = await sdk.write(writeOptions(new Uint8Array(10_000)));
    expect(result.status).toBe("delivered");
    expect(fake.requests.filter((r) => r.route === "write")).toHaveLength(2);
    expect(fake.files).toHaveLength(1);
  });

  it("cut before the runtime pulled the whole body: sent again (digi.me cannot have it all)", async () => {
    let calls = 0;
    const cutMidBody: typeof fetch = async (input, init) => {
      if (++calls > 1) return fetch(input, init);
      const reader = ((init as RequestInit).body as ReadableStream<Uint8Array>).getReader();
      await reader.read(); // the multipart head only: the file and the closing boundary stay behind
      await reader.cancel();
      throw new TypeError("fetch failed");
    };
    const result = await sdkFor(fake, { fetch: cutMidBody }).write(writeOptions(new Uint8Array(10_000)));
    expect(result.status).toBe("delivered");
    expect(calls).toBe(2);
    expect(fake.files).toHaveLength(1);
  });

  it("dropped after sending, then refused on the retries (resendWhenUnknown): still unknown", async () => {
    fake.script("write", "drop");
    let calls = 0;
    const fetchOnce: typeof fetch = (input, init) => {
      calls++;
      return calls === 1 ? fetch(input, init) : Promise.reject(new TypeError("fetch failed"));
    };
    const error = await failure(
      sdkFor(fake, { fetch: fetchOnce, retry: { baseDelayMs: 1, resendWhenUnknown: true } }).write(
        writeOptions(new Uint8Array(10_000)),
      ),
    );
    expect(calls).toBe(3);
    expect(error).toMatchObject({ name: "NetworkError", delivery: "unknown" });
  });

  it("a pending answer, a refresh, then refused: unknown (the first request was sent)", async () => {
    const token = fake.issueTokens();
    fake.expire(token.accessToken.value);
    let writes = 0;
    const secondWriteRefused: typeof fetch = (input, init) => {
      if (String(input).includes("/postbox/") && ++writes > 1)
        return Promise.reject(new TypeError("fetch failed"));
      return fetch(input, init);
    };
    const error = await failure(
      sdkFor(fake, { fetch: secondWriteRefused }).write(
        writeOptions(new Uint8Array(1000), { userAccessToken: token }),
      ),
    );
    expect(writes).toBe(4);
    expect(error).toMatchObject({ name: "NetworkError", delivery: "unknown" });
  });

  it("never not-sent for a body that was fully pulled, even if the runtime then fails", async () => {
    const pullThenFail: typeof fetch = async (_input, init) => {
      await new Response(init?.body as ReadableStream<Uint8Array>).arrayBuffer();
      throw new TypeError("fetch failed");
    };
    const error = await failure(
      sdkFor(fake, { fetch: pullThenFail }).write(writeOptions(new Uint8Array(10_000))),
    );
    expect(error).toMatchObject({ name: "NetworkError", delivery: "unknown" });
  });

  it("a timeout waiting for the answer: unknown, and not sent again", async () => {
    fake.script("write", { delayMs: 300 });
    const error = await failure(sdkFor(fake, { timeoutMs: 100 }).write(writeOptions(new Uint8Array(1000))));
    expect(error).toMatchObject({ name: "NetworkError", code: "TIMEOUT", delivery: "unknown" });
    expect(fake.requests.filter((r) => r.route === "write")).toHaveLength(1);
  });

  it("other requests leave delivery undefined (token exchange to a closed port)", async () => {
    const sdk = await refusedSdk();
    const error = await failure(sdk.refreshToken({ contractDetails, userAccessToken: fake.issueTokens() }));
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).delivery).toBeUndefined();
  });
});
