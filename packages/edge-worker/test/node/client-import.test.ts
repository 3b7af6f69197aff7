/**
 * The typed client's calls of the import API in Node, against a recording `fetch`: the requests
 * they make (method, URL, headers, body, credentials), what they return, and their errors.
 */
import { describe, expect, it } from "vitest";
import { createClient, EdgeClientError } from "../../src/client.ts";

/** A `fetch` that records each request and responds with `answer`. */
function recording(answer: () => Response | Promise<Response>) {
  const requests: { url: string; method: string; headers: Headers; body: string; credentials?: string }[] =
    [];
  const fetch = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    requests.push({
      url: String(input),
      method: init.method ?? "GET",
      headers: new Headers(init.headers),
      body: typeof init.body === "string" ? init.body : "",
      ...(init.credentials ? { credentials: init.credentials } : {}),
    });
    return answer();
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

describe("typed client: accounts, FHIR, deletion", () => {
  it("accounts(): GET /api/accounts with the cookie, returns the list", async () => {
    const accounts = [{ id: "a1", reference: "r1", type: "PUSH" }];
    const { fetch, requests } = recording(() => Response.json({ accounts }));
    expect(await createClient("https://edge.example/", { fetch }).accounts()).toEqual(accounts);
    expect(requests).toEqual([
      {
        url: "https://edge.example/api/accounts",
        method: "GET",
        headers: new Headers(),
        body: "",
        credentials: "include",
      },
    ]);
  });

  it("pushFhir(): POST /api/fhir/{version} (default stu3) with { accountId, resource } as JSON", async () => {
    const result = {
      status: "delivered",
      accountId: "a1",
      version: "stu3",
      resourceType: "Bundle",
      bytes: 1,
    };
    const { fetch, requests } = recording(() => Response.json(result));
    const client = createClient("", { fetch });
    const resource = { resourceType: "Bundle", type: "collection" };
    expect(await client.pushFhir(resource, { accountId: "a1" })).toEqual(result);
    await client.pushFhir(resource, { accountId: "a1", version: "3.0.2" });
    expect(requests.map((r) => [r.method, r.url])).toEqual([
      ["POST", "/api/fhir/stu3"],
      ["POST", "/api/fhir/3.0.2"],
    ]);
    expect(requests[0]?.headers.get("Content-Type")).toBe("application/json");
    expect(JSON.parse(requests[0]?.body ?? "")).toEqual({ accountId: "a1", resource });
  });

  it("deleteUser(): DELETE /api/user", async () => {
    const { fetch, requests } = recording(() => Response.json({ deleted: true, signedOut: true }));
    expect(await createClient("https://edge.example", { fetch }).deleteUser()).toEqual({
      deleted: true,
      signedOut: true,
    });
    expect(requests.map((r) => [r.method, r.url])).toEqual([["DELETE", "https://edge.example/api/user"]]);
  });

  it("the Worker's errors, no answer and cancellation are EdgeClientErrors", async () => {
    const refusal = recording(() =>
      Response.json(
        { error: { code: "NOT_A_PUSH_ACCOUNT", message: "not a PUSH account" } },
        { status: 403, headers: { "Retry-After": "7" } },
      ),
    );
    const error = await createClient("", { fetch: refusal.fetch })
      .pushFhir({ resourceType: "Bundle" }, { accountId: "x" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EdgeClientError);
    expect(error).toMatchObject({
      status: 403,
      code: "NOT_A_PUSH_ACCOUNT",
      retryAfter: 7,
      mayHaveArrived: false,
    });
    const offline = recording(() => Promise.reject(new TypeError("fetch failed")));
    await expect(createClient("", { fetch: offline.fetch }).accounts()).rejects.toMatchObject({
      status: 0,
      code: "NETWORK",
    });
    const controller = new AbortController();
    controller.abort();
    await expect(
      createClient("", { fetch: offline.fetch }).deleteUser({ signal: controller.signal }),
    ).rejects.toMatchObject({ status: 0, code: "ABORTED" });
  });

  it("signInUrl(): returnTo and sourceType", () => {
    const client = createClient("https://edge.example");
    expect(client.signInUrl()).toBe("https://edge.example/auth/start");
    expect(client.signInUrl("https://app.example/x?y=1")).toBe(
      "https://edge.example/auth/start?returnTo=https%3A%2F%2Fapp.example%2Fx%3Fy%3D1",
    );
    expect(client.signInUrl("/", { sourceType: "push" })).toBe(
      "https://edge.example/auth/start?returnTo=%2F&sourceType=push",
    );
  });
});
