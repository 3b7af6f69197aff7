import { createPrivateKey } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { createDevContract, loadContractsFile, startEmulator } from "../src/index.ts";
import { Client } from "./support/client.ts";
import { download, latestFile, useTempDirs, WAIT } from "./support/emulator.ts";
import { contractKeys, signRequest, testContract } from "./support/protocol.ts";

const tempDir = useTempDirs();

describe("file mode", () => {
  it("keeps keys, contracts, users, tokens, nonces and files across a restart", async () => {
    const dataDir = tempDir();
    const first = await startEmulator({ dataDir, contracts: [testContract()], autoApprove: true });
    const client = new Client(first);
    const box = await client.onboard();
    const data = Buffer.from("kept across restarts");
    expect((await client.write(box, data, { fileName: "kept.txt" })).status).toBe(200);
    const kid = first.signingKey.kid;
    const replay = await signRequest({
      client_id: client.clientId,
      grant_type: "refresh_token",
      refresh_token: "rt_unknown",
    });
    expect((await client.post("oauth/token", replay)).status).toBe(401);
    await first.close();
    expect(existsSync(join(dataDir, "emulator.sqlite"))).toBe(true);
    expect(statSync(join(dataDir, "signing-key.pem")).mode & 0o777).toBe(0o600);

    // Same folder, no contracts passed: everything comes from the data folder.
    const second = await startEmulator({ dataDir, autoApprove: true });
    try {
      expect(second.signingKey.kid).toBe(kid);
      const again = new Client(second);
      const file = await latestFile(second, box.postboxId);
      expect(file?.fileName).toBe("kept.txt");
      expect((await download(file?.url ?? "")).equals(data)).toBe(true);
      // The old access token still writes; the refresh token still rotates; the nonce is still spent.
      expect((await again.write(box, Buffer.from("second"))).status).toBe(200);
      const fresh = await again.tokensOf(await again.refresh(box.refreshToken));
      expect(fresh.sub).toBe(box.userId);
      expect((await again.post("oauth/token", replay)).status).toBe(401);
      const replayed = (await (await again.post("oauth/token", replay)).json()) as {
        error: { code: string };
      };
      expect(replayed.error.code).toBe("ReplayedNonce");
    } finally {
      await second.close();
    }
  });

  it("close() lets requests in progress finish or fail before closing the store", async () => {
    const dataDir = tempDir();
    const errors: unknown[] = [];
    const onError = (error: unknown) => errors.push(error);
    const first = await startEmulator({ dataDir, contracts: [testContract()], autoApprove: true, onError });
    const client = new Client(first);
    const box = await client.onboard();
    // Writes wait in the handler, so close() comes while they are in progress.
    first.faults.set("postbox", { latencyMs: 300 });
    const writes = [1, 2, 3].map((n) =>
      client.write(box, Buffer.from(`written during close ${n}`), { fileName: `during-${n}.txt` }).then(
        (res) => res.status,
        () => "network error",
      ),
    );
    await vi.waitFor(() => expect(first.stats.current.requests.postbox).toBe(3), WAIT);
    expect(first.requestsInProgress).toBe(3);
    await first.close();
    const outcomes = await Promise.all(writes);
    // close() waited for the handlers (not its time bound): they ran to their end against an open
    // store, nothing reported, nothing half-written.
    expect(first.requestsInProgress).toBe(0);
    expect(errors).toEqual([]);

    const second = await startEmulator({ dataDir, autoApprove: true, onError });
    try {
      const stored = second.store.listFiles({ postboxId: box.postboxId }).map((f) => f.fileName);
      // A write that got 200 is stored; an unanswered one may be (its outcome is unknown to the caller).
      for (const [i, outcome] of outcomes.entries()) {
        if (outcome === 200) expect(stored).toContain(`during-${i + 1}.txt`);
        else expect(outcome).toBe("network error");
      }
      expect(second.store.pendingUploads()).toEqual([]);
      expect((await new Client(second).write(box, Buffer.from("after"))).status).toBe(200);
      expect(errors).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it("memory mode keeps nothing and removes its temporary folder", async () => {
    const emu = await startEmulator({ memory: true, contracts: [testContract()], autoApprove: true });
    const client = new Client(emu);
    const box = await client.onboard();
    await client.write(box, Buffer.from("gone"));
    const dir = emu.store.filesDir;
    expect(existsSync(dir)).toBe(true);
    await emu.close();
    expect(existsSync(dir)).toBe(false);
  });
});

describe("contracts", () => {
  it("createDevContract makes a key pair once, then finds it again", async () => {
    const dataDir = tempDir();
    const made = createDevContract(dataDir);
    expect(made.created).toBe(true);
    expect(made.privateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(statSync(made.privateKeyPath).mode & 0o777).toBe(0o600);
    const found = createDevContract(dataDir);
    expect(found.created).toBe(false);
    expect(found.privateKey).toBe(made.privateKey);
    expect(found.contract).toEqual(made.contract);
    const moved = createDevContract(dataDir, { redirectUri: "http://127.0.0.1:9999/cb" });
    expect(moved.contract.redirectUri).toBe("http://127.0.0.1:9999/cb");
    expect(JSON.parse(readFileSync(made.contractPath, "utf8")).redirectUri).toBe("http://127.0.0.1:9999/cb");

    const emu = await startEmulator({ dataDir, devContract: true, autoApprove: true });
    try {
      expect(emu.devContract?.clientId).toBe("dev-app_dev-write-contract");
      const client = new Client(emu, made.clientId, createPrivateKey(made.privateKey));
      const res = await client.post(
        "oauth/authorize",
        await client.authorizeJwt({ redirect_uri: "http://127.0.0.1:9999/cb" }),
      );
      expect(res.status).toBe(200);
    } finally {
      await emu.close();
    }
  });

  it("loads contracts from a JSON file (inline PEM or a key path) and from the admin API", async () => {
    const dir = tempDir();
    const pem = contractKeys.publicKey.export({ type: "spki", format: "pem" }).toString();
    writeFileSync(join(dir, "key.pem"), pem);
    writeFileSync(
      join(dir, "contracts.json"),
      JSON.stringify({
        contracts: [
          {
            applicationId: "a",
            contractId: "inline",
            publicKey: pem,
            redirectUri: "https://a.example/cb",
            name: "Inline",
          },
          {
            applicationId: "a",
            contractId: "path",
            publicKeyPath: "key.pem",
            redirectUri: "https://a.example/cb",
          },
        ],
      }),
    );
    expect(loadContractsFile(join(dir, "contracts.json")).map((c) => c.contractId)).toEqual([
      "inline",
      "path",
    ]);
    const emu = await startEmulator({ memory: true, contractsFile: join(dir, "contracts.json") });
    try {
      const add = await fetch(`${emu.adminUrl}/contracts`, {
        method: "POST",
        body: JSON.stringify({ ...testContract(), contractId: "admin" }),
      });
      expect(add.status).toBe(201);
      const bad = await fetch(`${emu.adminUrl}/contracts`, {
        method: "POST",
        body: JSON.stringify({ ...testContract(), publicKey: "not a key" }),
      });
      expect(bad.status).toBe(400);
      const { contracts } = (await (await fetch(`${emu.adminUrl}/contracts`)).json()) as {
        contracts: { clientId: string; name: string }[];
      };
      expect(contracts.map((c) => c.clientId).sort()).toEqual(["a_inline", "a_path", "test-app_admin"]);
      expect(contracts.find((c) => c.clientId === "a_path")?.name).toBe("a");
    } finally {
      await emu.close();
    }
  });
});
