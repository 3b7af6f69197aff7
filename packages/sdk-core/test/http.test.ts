import { describe, expect, it, vi } from "vitest";
import { NetworkError, SDKInvalidError, ServerError } from "../src/errors.ts";
import { redact } from "../src/internal/redact.ts";
import { backoffDelay, parseRetryAfter } from "../src/internal/retry.ts";
import { type HttpSettings, type SendRequestOptions, sendRequest } from "../src/request/send.ts";
import { fakeSleeps } from "./support/fake-sleeps.ts";

type Answer = Response | Error | ((init: RequestInit) => Promise<Response>);

/** A fetch that responds from a script and records every call. */
function scriptedFetch(...answers: Answer[]) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const answer = answers.shift() ?? new Response("{}");
    if (answer instanceof Error) throw answer;
    if (typeof answer === "function") return answer(init);
    return answer;
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const errorBody = (code: string, message = "m", reference?: string) => ({
  error: { code, message, reference },
});

function settings(fetch: typeof globalThis.fetch, extra: Partial<HttpSettings> = {}): HttpSettings {
  return {
    fetch,
    retry: { limit: 2, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 60_000, resendWhenUnknown: false },
    timeoutMs: 5_000,
    ...extra,
  };
}

function request(extra: Partial<SendRequestOptions> = {}): SendRequestOptions & { builds: number } {
  const options: SendRequestOptions & { builds: number } = {
    what: "test",
    builds: 0,
    build: async () => {
      options.builds++;
      return {
        url: "https://api.example/x",
        method: "POST",
        headers: { "x-attempt": String(options.builds) },
      };
    },
    ...extra,
  };
  return options;
}

/** A fetch answer that never settles until the request is aborted. */
const hang = (init: RequestInit) =>
  new Promise<Response>((_, reject) => {
    init.signal?.addEventListener("abort", () => reject(init.signal?.reason));
  });

/** A promise and its `resolve`. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * A streamed upload with a 100 ms timeout (and no retry) whose fetch reads a chunk of the body
 * (a pull, which is progress) each time the test lets it; before each of the first `steps` reads,
 * the test moves the fake clock (timers and `Date`) `gapMs` on. Returns what `sendRequest` does
 * once the steps are taken.
 */
async function slowUpload(gapMs: number, steps: number) {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  try {
    // Resolved each time the fetch waits at its gate for the next chunk.
    let reached = deferred();
    let open: (() => void) | undefined;
    const fetch = (async (_url: string, init: RequestInit) => {
      const reader = (init.body as ReadableStream<Uint8Array>).getReader();
      for (;;) {
        const gate = new Promise<void>((resolve, reject) => {
          open = resolve;
          init.signal?.addEventListener("abort", () => reject(init.signal?.reason), { once: true });
        });
        reached.resolve();
        await gate;
        if ((await reader.read()).done) break;
      }
      return json(200, { done: true });
    }) as unknown as typeof globalThis.fetch;
    const s = settings(fetch, { timeoutMs: 100 });
    const outcome = sendRequest(
      { ...s, retry: { ...s.retry, limit: 0 } },
      {
        what: "slow upload",
        build: async ({ touch }) => {
          let n = 0;
          const body = new ReadableStream<Uint8Array>({
            pull(controller) {
              touch();
              if (n++ < 5) controller.enqueue(new Uint8Array(1));
              else controller.close();
            },
          });
          return { url: "https://api.example/x", method: "POST", headers: {}, body, streamed: true };
        },
      },
    );
    outcome.catch(() => {}); // awaited below; a timeout may come before that
    for (let step = 0; step < steps; step++) {
      await Promise.race([reached.promise, outcome]); // the fetch waits for its next chunk (or failed)
      reached = deferred();
      await vi.advanceTimersByTimeAsync(gapMs);
      open?.();
    }
    return await outcome;
  } finally {
    vi.useRealTimers();
  }
}

describe("sendRequest", () => {
  it("returns the JSON of a 2xx", async () => {
    const { fetch } = scriptedFetch(json(200, { a: 1 }));
    await expect(sendRequest(settings(fetch), request())).resolves.toEqual({ status: 200, data: { a: 1 } });
  });

  it("retries 429, 502, 503, 504 and network errors, building each attempt afresh", async () => {
    for (const failure of [
      json(429, {}),
      json(502, {}),
      json(503, {}),
      json(504, {}),
      new TypeError("fetch failed"),
    ]) {
      const { fetch, calls } = scriptedFetch(failure, json(200, { ok: true }));
      const options = request();
      await expect(sendRequest(settings(fetch), options)).resolves.toMatchObject({ data: { ok: true } });
      expect(calls).toHaveLength(2);
      expect(options.builds).toBe(2);
      expect(calls.map((c) => (c.init.headers as Record<string, string>)["x-attempt"])).toEqual(["1", "2"]);
    }
  });

  it("gives up after limit + 1 attempts with the last error", async () => {
    const { fetch, calls } = scriptedFetch(
      json(503, errorBody("A")),
      json(503, errorBody("B")),
      json(503, errorBody("C", "busy", "ref-9")),
    );
    const error = await sendRequest(settings(fetch), request()).catch((e: unknown) => e);
    expect(calls).toHaveLength(3);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({
      status: 503,
      code: "C",
      reference: "ref-9",
      retryable: true,
      name: "ServerError",
    });
    expect((error as Error).message).toContain("busy");
  });

  it("does not retry other statuses, and maps the error body", async () => {
    for (const status of [400, 401, 403, 404, 500]) {
      const { fetch, calls } = scriptedFetch(
        json(status, errorBody("InvalidClient", "The client_id is invalid", "r1")),
      );
      const error = await sendRequest(settings(fetch), request()).catch((e: unknown) => e);
      expect(calls).toHaveLength(1);
      expect(error).toBeInstanceOf(ServerError);
      expect(error).toMatchObject({ status, code: "InvalidClient", reference: "r1", retryable: false });
    }
  });

  it("an error without a body still has a status and a code", async () => {
    const { fetch } = scriptedFetch(new Response("oops", { status: 418 }));
    const error = await sendRequest(settings(fetch), request()).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 418, code: "HTTP_418" });
  });

  it("SDKInvalid and SDKVersionInvalid are SDKInvalidError", async () => {
    for (const code of ["SDKInvalid", "SDKVersionInvalid"]) {
      const { fetch } = scriptedFetch(json(403, errorBody(code, "refused")));
      const error = await sendRequest(settings(fetch), request()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SDKInvalidError);
      expect(error).toBeInstanceOf(ServerError);
      expect(error).toMatchObject({ code, status: 403, name: "SDKInvalidError" });
    }
  });

  it("a network error that persists ends as NetworkError with its cause", async () => {
    const cause = new TypeError("fetch failed");
    const { fetch, calls } = scriptedFetch(cause, cause, cause);
    const error = await sendRequest(settings(fetch), request()).catch((e: unknown) => e);
    expect(calls).toHaveLength(3);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: "NETWORK", retryable: true });
    expect((error as Error).cause).toBe(cause);
  });

  it("honours Retry-After in seconds: the next attempt waits exactly that long", async () => {
    const { fetch, calls } = scriptedFetch(json(429, {}, { "retry-after": "1" }), json(200, { ok: 1 }));
    const clock = fakeSleeps();
    try {
      const answer = sendRequest(settings(fetch), request());
      await clock.asked(1000);
      await clock.advance(999);
      expect(calls).toHaveLength(1);
      await clock.advance(1);
      await expect(answer).resolves.toMatchObject({ data: { ok: 1 } });
      expect(calls).toHaveLength(2);
    } finally {
      clock.restore();
    }
  });

  it("never cuts a Retry-After short: a longer one than maxRetryAfterMs ends the request, saying it", async () => {
    const { fetch, calls } = scriptedFetch(json(503, {}, { "retry-after": "3600" }), json(200, {}));
    const s = settings(fetch);
    const error = await sendRequest({ ...s, retry: { ...s.retry, maxRetryAfterMs: 30 } }, request()).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ status: 503, retryable: true, retryAfterMs: 3_600_000 });
    expect(calls).toHaveLength(1);
  });

  it("a Retry-After within maxRetryAfterMs is waited out, then the request is sent again", async () => {
    const { fetch, calls } = scriptedFetch(json(503, {}, { "retry-after": "0" }), json(200, { ok: 1 }));
    const s = settings(fetch);
    const answer = await sendRequest({ ...s, retry: { ...s.retry, maxRetryAfterMs: 0 } }, request());
    expect(answer.data).toEqual({ ok: 1 });
    expect(calls).toHaveLength(2);
  });

  it("an error answer without Retry-After has no retryAfterMs; the last one's is kept", async () => {
    const { fetch } = scriptedFetch(json(502, {}), json(429, {}, { "retry-after": "0" }), json(500, {}));
    const s = settings(fetch);
    const error = await sendRequest({ ...s, retry: { ...s.retry, limit: 1 } }, request()).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ status: 429, retryAfterMs: 0 });
    const { fetch: plain } = scriptedFetch(json(400, { error: { code: "Bad" } }));
    expect(await sendRequest(settings(plain), request()).catch((e: unknown) => e)).toMatchObject({
      status: 400,
      retryAfterMs: undefined,
    });
  });

  it("parses Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("Sun, 29 Nov 2026 12:00:00 GMT");
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter("Sun, 29 Nov 2026 12:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Sun, 29 Nov 2026 11:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it("backs off exponentially with full jitter, bounded by maxDelayMs", () => {
    const retry = {
      limit: 5,
      baseDelayMs: 100,
      maxDelayMs: 1000,
      maxRetryAfterMs: 0,
      resendWhenUnknown: false,
    };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, retry, () => 0.999999))).toEqual([
      99, 199, 399, 799, 999,
    ]);
    expect(backoffDelay(3, retry, () => 0)).toBe(0);
    expect(backoffDelay(3, retry, () => 0.5)).toBe(200);
  });

  it("uses the jitter for the wait between attempts", async () => {
    const { fetch, calls } = scriptedFetch(json(503, {}), json(503, {}), json(200, { ok: 1 }));
    const s = settings(fetch, { random: () => 1 });
    const clock = fakeSleeps();
    try {
      const answer = sendRequest(
        { ...s, retry: { ...s.retry, baseDelayMs: 200, maxDelayMs: 10_000 } },
        request(),
      );
      // 200 then 400 ms: the whole of each backoff window, as the jitter is 1.
      for (const [delay, before] of [
        [200, 1],
        [400, 2],
      ] as const) {
        await clock.asked(delay);
        await clock.advance(delay - 1);
        expect(calls).toHaveLength(before);
        await clock.advance(1);
      }
      await expect(answer).resolves.toMatchObject({ data: { ok: 1 } });
      expect(calls).toHaveLength(3);
    } finally {
      clock.restore();
    }
  });

  it("times out an attempt without progress, and retries it", async () => {
    const { fetch, calls } = scriptedFetch(hang, json(200, { late: false }));
    const result = await sendRequest(settings(fetch, { timeoutMs: 50 }), request());
    expect(result.data).toEqual({ late: false });
    expect(calls).toHaveLength(2);
  });

  it("a timeout on every attempt ends as NetworkError TIMEOUT", async () => {
    const { fetch, calls } = scriptedFetch(hang, hang);
    const s = settings(fetch, { timeoutMs: 30 });
    const error = await sendRequest({ ...s, retry: { ...s.retry, limit: 1 } }, request()).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: "TIMEOUT" });
    expect(calls).toHaveLength(2);
  });

  it("the timeout restarts whenever the request makes progress", async () => {
    // 6 chunks, one every 99 ms of fake time (594 ms in all), with a 100 ms timeout: delivered.
    // The control: a chunk 100 ms late times out.
    await expect(slowUpload(99, 6)).resolves.toMatchObject({ data: { done: true } });
    const late = await slowUpload(100, 1).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(NetworkError);
    expect(late).toMatchObject({ code: "TIMEOUT" });
  });

  it("a body sent without progress reports (a Blob) gets time for its size", async () => {
    const slow = (init: RequestInit) =>
      new Promise<Response>((resolve, reject) => {
        const t = setTimeout(() => resolve(json(200, { sent: true })), 150);
        init.signal?.addEventListener("abort", () => {
          clearTimeout(t);
          reject(init.signal?.reason);
        });
      });
    const build = (silentBytes?: number) => async () => ({
      url: "https://api.example/x",
      method: "POST" as const,
      headers: {},
      body: new Blob([new Uint8Array(10)]),
      silentBytes,
    });
    const s = settings(scriptedFetch(slow).fetch, { timeoutMs: 50 });
    // 64 KiB at the slowest assumed rate is one more second.
    await expect(sendRequest(s, { what: "blob", build: build(64 * 1024) })).resolves.toMatchObject({
      data: { sent: true },
    });
    const t = settings(scriptedFetch(slow).fetch, { timeoutMs: 50 });
    await expect(
      sendRequest({ ...t, retry: { ...t.retry, limit: 0 } }, { what: "blob", build: build() }),
    ).rejects.toMatchObject({ code: "TIMEOUT" });
  });

  it("an abort stops the request at once and is not retried", async () => {
    const { fetch, calls } = scriptedFetch(hang, json(200, {}));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("user left")), 20);
    const error = await sendRequest(settings(fetch), request({ signal: controller.signal })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: "ABORTED", retryable: false });
    expect(calls).toHaveLength(1);
  });

  it("an abort during the backoff wait ends it without waiting it out", async () => {
    const { fetch, calls } = scriptedFetch(json(503, {}, { "retry-after": "30" }), json(200, {}));
    const controller = new AbortController();
    const clock = fakeSleeps();
    try {
      const error = sendRequest(settings(fetch), request({ signal: controller.signal })).catch(
        (e: unknown) => e,
      );
      await clock.asked(30_000);
      controller.abort();
      // The fake time never moves: the request ends during its 30 s wait.
      expect(await error).toMatchObject({ code: "ABORTED" });
      expect(calls).toHaveLength(1);
    } finally {
      clock.restore();
    }
  });

  it("an already aborted signal sends nothing", async () => {
    const { fetch, calls } = scriptedFetch(json(200, {}));
    const error = await sendRequest(settings(fetch), request({ signal: AbortSignal.abort() })).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "ABORTED" });
    expect(calls).toHaveLength(0);
  });

  it("never retries a request whose body cannot be made again", async () => {
    const { fetch, calls } = scriptedFetch(json(503, {}), json(200, {}));
    const error = await sendRequest(settings(fetch), request({ replayable: false })).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503 });
    expect(calls).toHaveLength(1);
  });

  it("refuses a redirect and cancels its body", async () => {
    let cancelled = false;
    const body = new ReadableStream({
      cancel() {
        cancelled = true;
      },
    });
    const { fetch, calls } = scriptedFetch(
      new Response(body, { status: 307, headers: { location: "https://elsewhere.example/" } }),
    );
    const error = await sendRequest(settings(fetch), request()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UNEXPECTED_REDIRECT", status: 307, retryable: false });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.init.redirect).toBe("manual");
    expect(cancelled).toBe(true);
  });

  it('streams with duplex "half" and redirect "error" where the runtime accepts it (Node)', async () => {
    const { fetch, calls } = scriptedFetch(json(200, {}));
    await sendRequest(settings(fetch), {
      what: "stream",
      build: async () => ({
        url: "https://api.example/x",
        method: "POST",
        headers: {},
        body: new ReadableStream(),
        streamed: true,
      }),
    });
    expect(calls[0]?.init).toMatchObject({ duplex: "half", redirect: "error" });
  });

  it("a 200 that is not JSON is INVALID_RESPONSE", async () => {
    const { fetch } = scriptedFetch(new Response("<html>", { status: 200 }));
    await expect(sendRequest(settings(fetch), request())).rejects.toMatchObject({ code: "INVALID_RESPONSE" });
  });

  it("the body's own failure is reported instead of the network error", async () => {
    const own = new Error("disk gone");
    const { fetch } = scriptedFetch(new TypeError("fetch failed"));
    const error = await sendRequest(settings(fetch), {
      what: "w",
      replayable: false,
      build: async () => ({
        url: "https://api.example/x",
        method: "POST",
        headers: {},
        bodyError: () => own,
      }),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "BODY_STREAM" });
    expect((error as Error).cause).toBe(own);
  });

  it("an error thrown by build is passed through and nothing is sent", async () => {
    const { fetch, calls } = scriptedFetch();
    const own = new Error("cannot sign");
    await expect(
      sendRequest(settings(fetch), {
        what: "w",
        build: async () => {
          throw own;
        },
      }),
    ).rejects.toBe(own);
    expect(calls).toHaveLength(0);
  });

  it("cuts secrets, JWTs and keys out of server messages", async () => {
    const jwt = "eyJhbGciOiJQUzUxMiJ9.eyJhIjoxfQ.c2ln";
    const { fetch } = scriptedFetch(
      json(
        401,
        errorBody(
          "InvalidToken",
          `The token (secret-access-value) is invalid: ${jwt} -----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----`,
        ),
      ),
    );
    const error = await sendRequest(settings(fetch), request({ secrets: ["secret-access-value"] })).catch(
      (e: unknown) => e,
    );
    const text = `${(error as Error).message} ${JSON.stringify(error)}`;
    expect(text).toContain("InvalidToken");
    expect(text).not.toContain("secret-access-value");
    expect(text).not.toContain(jwt);
    expect(text).not.toContain("MIIE");
    expect(redact("x".repeat(1000)).length).toBeLessThan(400);
  });

  it("redacts a JWT's payload segment echoed on its own (it holds the access token)", () => {
    const payload = Buffer.from(JSON.stringify({ access_token: "secret-access-value" })).toString(
      "base64url",
    );
    expect(redact(`bad claims: ${payload} here`)).toBe("bad claims: [redacted token] here");
  });
});

describe("sendRequest: a write whose whole body may have reached digi.me (at most once)", () => {
  /** A write's request: a `delivery` tracker, and a body the runtime pulled (`done`: all of it). */
  const write = (done: boolean | undefined, extra: Partial<SendRequestOptions> = {}) => {
    const options = request({ delivery: { maybeSent: false }, ...extra });
    const build = options.build;
    options.build = async (attempt) => ({
      ...(await build(attempt)),
      body: "file",
      bodyPulled: () => done !== false,
      ...(done !== undefined && { bodyDone: () => done }),
    });
    return options;
  };
  const resend = (fetch: typeof globalThis.fetch, extra: Partial<HttpSettings> = {}) => {
    const s = settings(fetch, extra);
    return { ...s, retry: { ...s.retry, resendWhenUnknown: true } };
  };

  it("an answer lost after the whole body: one attempt, NetworkError with delivery unknown", async () => {
    for (const done of [true, undefined]) {
      const { fetch, calls } = scriptedFetch(new TypeError("fetch failed"), json(200, {}));
      const error = await sendRequest(settings(fetch), write(done)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetworkError);
      expect(error).toMatchObject({ code: "NETWORK", retryable: true, delivery: "unknown" });
      expect(calls).toHaveLength(1);
    }
  });

  it("the same with retry.resendWhenUnknown: sent again", async () => {
    const { fetch, calls } = scriptedFetch(new TypeError("fetch failed"), json(200, { ok: true }));
    const result = await sendRequest(resend(fetch), write(true));
    expect(result.data).toEqual({ ok: true });
    expect(calls).toHaveLength(2);
  });

  it("a timeout waiting for the answer: one attempt, TIMEOUT with delivery unknown", async () => {
    const { fetch, calls } = scriptedFetch(hang, json(200, {}));
    const error = await sendRequest(settings(fetch, { timeoutMs: 30 }), write(true)).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "NetworkError", code: "TIMEOUT", delivery: "unknown" });
    expect(calls).toHaveLength(1);
  });

  it("a refused connection (nothing pulled) is still retried: delivery not-sent", async () => {
    const refused = () => new TypeError("fetch failed");
    const { fetch, calls } = scriptedFetch(refused(), refused(), refused());
    const error = await sendRequest(settings(fetch), write(false)).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "NetworkError", code: "NETWORK", delivery: "not-sent" });
    expect(calls).toHaveLength(3);
  });

  it("a body cut before its end is sent again, and 429/503 answers are retried as before", async () => {
    const partly = write(false);
    const build = partly.build;
    partly.build = async (attempt) => ({ ...(await build(attempt)), bodyPulled: () => true });
    const { fetch, calls } = scriptedFetch(new TypeError("fetch failed"), json(200, {}));
    await expect(sendRequest(settings(fetch), partly)).resolves.toMatchObject({ status: 200 });
    expect(calls).toHaveLength(2);
    const answered = scriptedFetch(json(429, {}), json(503, {}), json(200, {}));
    await expect(sendRequest(settings(answered.fetch), write(true))).resolves.toMatchObject({ status: 200 });
    expect(answered.calls).toHaveLength(3);
  });

  it("a gateway's 502 or 504 may follow a stored file: not sent again unless asked", async () => {
    for (const status of [502, 504]) {
      const { fetch, calls } = scriptedFetch(json(status, {}), json(200, { ok: true }));
      const error = await sendRequest(settings(fetch), write(true)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServerError);
      expect(error).toMatchObject({ status, retryable: true });
      expect(calls).toHaveLength(1);
      const again = scriptedFetch(json(status, {}), json(200, { ok: true }));
      await expect(sendRequest(resend(again.fetch), write(true))).resolves.toMatchObject({ status: 200 });
      expect(again.calls).toHaveLength(2);
    }
  });

  it("requests without a delivery tracker (not writes) keep retrying network errors", async () => {
    const { fetch, calls } = scriptedFetch(new TypeError("fetch failed"), json(200, {}));
    await expect(sendRequest(settings(fetch), request())).resolves.toMatchObject({ status: 200 });
    expect(calls).toHaveLength(2);
  });
});
