/**
 * The typed client's `signOut()` in Node against a stand-in for the Worker: it returns
 * `/auth/logout`'s answer typed (what was not revoked at digi.me), and a refusal as an error.
 */
import { describe, expect, it } from "vitest";
import { createClient, type LogoutResult } from "../../src/client.ts";
import { LOGOUT_RESULT } from "../../src/lib/logout.ts";

describe("signOut()", () => {
  it("returns /auth/logout's answer: signed out here, and what was not revoked at digi.me", async () => {
    const requests: string[] = [];
    const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
      requests.push(`${init?.method} ${String(input)}`);
      return Response.json(LOGOUT_RESULT);
    }) as typeof fetch;
    const result: LogoutResult = await createClient("https://edge.example", { fetch: fetchFn }).signOut();
    expect(result).toEqual(LOGOUT_RESULT);
    expect(result.revokedAtDigime).toBe(false);
    expect(result.notRevoked.length).toBeGreaterThan(0);
    expect(requests).toEqual(["POST https://edge.example/auth/logout"]);
  });

  it("a refusal is an EdgeClientError with the Worker's code", async () => {
    const fetchFn = (async () =>
      Response.json(
        { error: { code: "CSRF_ORIGIN", message: "wrong origin" } },
        { status: 403 },
      )) as typeof fetch;
    await expect(createClient("", { fetch: fetchFn }).signOut()).rejects.toMatchObject({
      status: 403,
      code: "CSRF_ORIGIN",
    });
  });
});
