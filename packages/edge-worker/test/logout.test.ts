/**
 * `POST /auth/logout`: it ends the session and deletes the Worker's copy of the
 * user's tokens, and says in its answer what it does not revoke at digi.me (digi.me's write API has
 * no revocation call). The test shows the answer is true: the refresh token the Worker held still
 * works at digi.me after the logout.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getConfig } from "../src/config.ts";
import { contractDetails, getSdk } from "../src/lib/digime.ts";
import { LOGOUT_RESULT } from "../src/lib/logout.ts";
import { signedInUser } from "./support/browser.ts";
import { APP_ORIGIN } from "./support/test-env.ts";
import { storedTokens } from "./support/vault-access.ts";

describe("POST /auth/logout", () => {
  it("returns what it did and what it leaves in force at digi.me, and that is so", async () => {
    const { browser, userId, before } = await signedInUser();
    expect(before).not.toBeNull();
    const out = await browser.fetch("/auth/logout", { method: "POST", origin: APP_ORIGIN });
    expect(out.status).toBe(200);
    expect(out.headers.get("Cache-Control")).toBe("no-store");
    const body = (await out.json()) as typeof LOGOUT_RESULT;
    expect(body).toEqual(LOGOUT_RESULT);
    expect(body).toMatchObject({ signedOut: true, revokedAtDigime: false });
    expect(body.notRevoked.join(" ")).toMatch(/authorization/);
    expect(body.notRevoked.join(" ")).toMatch(/refresh tokens/);
    expect(body.message).toMatch(/Nothing was revoked at digi\.me/);
    expect(await storedTokens(userId)).toBeNull();
    expect((await (await browser.fetch("/api/session")).json()) as object).toMatchObject({
      authenticated: false,
    });

    // Not revoked at digi.me: the refresh token this Worker held still gets a new pair there.
    const config = getConfig(env);
    const row = before as NonNullable<typeof before>;
    const pair = await getSdk(config).refreshToken({
      contractDetails: contractDetails(config),
      userAccessToken: {
        accessToken: { value: row.access_token, expiry: row.access_expiry },
        refreshToken: { value: row.refresh_token, expiry: row.refresh_expiry },
      },
    });
    expect(pair.accessToken.value).not.toBe(row.access_token);
  });
});
