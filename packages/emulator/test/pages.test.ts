import { createPublicKey } from "node:crypto";
import { request } from "node:http";
import { describe, expect, it } from "vitest";
import type { RunningEmulator } from "../src/index.ts";
import type { Client } from "./support/client.ts";
import { errorOf, useEmulator } from "./support/emulator.ts";

let emu: RunningEmulator;
let client: Client;

useEmulator((setup) => ({ emu, client } = setup));

describe("key set, health, pages and the library API", () => {
  it("publishes the key set in digi.me's form, or as JWK", async () => {
    const set = (await (await fetch(emu.keySetUrl)).json()) as { keys: Record<string, string>[] };
    expect(set.keys).toHaveLength(1);
    expect(Object.keys(set.keys[0] ?? {}).sort()).toEqual(["kid", "pem"]);
    expect(set.keys[0]?.pem).toMatch(/^-----BEGIN RSA PUBLIC KEY-----/);
    emu.settings.keySetFormat = "jwk";
    try {
      const jwk = (await (await fetch(emu.keySetUrl)).json()) as { keys: Record<string, string>[] };
      expect(jwk.keys[0]).toMatchObject({ kid: emu.signingKey.kid, kty: "RSA", e: "AQAB", alg: "PS512" });
      const fromJwk = createPublicKey({ key: jwk.keys[0] as never, format: "jwk" });
      expect(fromJwk.equals(createPublicKey(set.keys[0]?.pem ?? ""))).toBe(true);
    } finally {
      emu.settings.keySetFormat = "pem";
    }
  });

  it("puts the origin the request used into jku, or publicUrl when set", async () => {
    const jwt = await client.authorizeJwt();
    // Sent to 127.0.0.1 under another name of the host (fetch does not let a Host header through).
    const viaName = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      const headers = { host: `localhost:${emu.port}`, authorization: `Bearer ${jwt}` };
      const req = request(`${emu.baseUrl}oauth/authorize`, { method: "POST", headers }, (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode, body })).on("error", reject);
      });
      req.on("error", reject).end();
    });
    expect(viaName.status).toBe(200);
    const { token: named } = JSON.parse(viaName.body) as { token: string };
    expect(JSON.parse(Buffer.from(named.split(".")[0] ?? "", "base64url").toString()).jku).toBe(
      `http://localhost:${emu.port}/v1.7/jwks/oauth`,
    );
    emu.settings.publicUrl = "https://digime.test";
    try {
      const res = await client.post("oauth/authorize", await client.authorizeJwt());
      const { token } = (await res.json()) as { token: string };
      expect(JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString()).jku).toBe(
        "https://digime.test/v1.7/jwks/oauth",
      );
    } finally {
      emu.settings.publicUrl = undefined;
    }
  });

  it("serves /healthz and an index page", async () => {
    expect(await (await fetch(`${emu.url}/healthz`)).json()).toMatchObject({
      status: "ok",
      kid: emu.signingKey.kid,
    });
    const index = await (await fetch(`${emu.url}/`)).text();
    expect(index).toContain("digi.me emulator");
    // The stylesheet is not HTML-escaped (an escaped `>` or `"` drops the rule).
    expect(index).toContain(".card > :first-child");
    expect(index).toContain('"Segoe UI"');
  });

  it("shows the library as HTML and JSON, and finds files by postbox or user", async () => {
    const box = await client.onboard();
    await client.write(box, Buffer.from("<b>escaped</b>"), { fileName: "<script>.html" });
    const page = await (await fetch(`${emu.libraryUrl}?user=${box.userId}`)).text();
    expect(page).toContain(box.userId);
    expect(page).toContain("&lt;script&gt;.html");
    expect(page).not.toContain("<script>.html");
    const users = (await (await fetch(`${emu.libraryUrl}/api/users`)).json()) as {
      users: { id: string; fileCount: number; postboxes: { id: string }[] }[];
    };
    const me = users.users.find((u) => u.id === box.userId);
    expect(me).toMatchObject({ fileCount: 1, postboxes: [{ id: box.postboxId }] });
    const pb = (await (await fetch(`${emu.libraryUrl}/api/postboxes/${box.postboxId}`)).json()) as {
      postbox: Record<string, unknown>;
      files: unknown[];
    };
    expect(pb.postbox.userId).toBe(box.userId);
    expect(pb.postbox.privateKey).toBeUndefined();
    expect(pb.files).toHaveLength(1);
    const all = (await (await fetch(`${emu.libraryUrl}/api/files?userId=${box.userId}`)).json()) as {
      files: unknown[];
    };
    expect(all.files).toHaveLength(1);
    expect((await fetch(`${emu.libraryUrl}/api/users/user_nope/files`)).status).toBe(404);
    expect((await fetch(`${emu.libraryUrl}/api/users/${box.userId}/files/file_nope`)).status).toBe(404);
    expect((await fetch(`${emu.libraryUrl}/api/postboxes/pb_nope`)).status).toBe(404);
  });

  it("refuses unknown routes and oversized bodies digi.me-style", async () => {
    const res = await fetch(`${emu.baseUrl}nope`);
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("NotFound");
    const big = await client.post("oauth/authorize", await client.authorizeJwt(), {
      body: "x".repeat(2 * 1024 * 1024),
    });
    expect(big.status).toBe(413);
    expect((await errorOf(big)).code).toBe("PayloadTooLarge");
    // Chunked (no Content-Length): read up to the limit, refused, the rest drained, the answer arrives.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 40; i++) controller.enqueue(new Uint8Array(64 * 1024).fill(120));
        controller.close();
      },
    });
    const chunked = await client.post("oauth/authorize", await client.authorizeJwt(), {
      body: chunks,
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
    const small = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"agent":{}}'));
        controller.close();
      },
    });
    const ok = await client.post("oauth/authorize", await client.authorizeJwt(), {
      body: small,
      duplex: "half",
    } as RequestInit);
    expect(ok.status).toBe(200);
    // Settings: a wrong type, an unknown name and publicUrl (not settable here) are refused.
    for (const body of ['{"autoApprove":"yes"}', '{"nope":1}', '{"publicUrl":"https://x.test"}']) {
      const bad = await fetch(`${emu.adminUrl}/settings`, { method: "POST", body });
      expect(bad.status, body).toBe(400);
    }
    expect(emu.settings.publicUrl).toBeUndefined();
  });
});
