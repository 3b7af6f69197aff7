import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { createDevContract, SCHEMA_VERSION, startEmulator } from "../src/index.ts";
import { Client } from "./support/client.ts";
import { download, latestFile, useTempDirs } from "./support/emulator.ts";
import { ImportClient, importContract, userFiles } from "./support/import.ts";
import { testContract } from "./support/protocol.ts";

const tempDir = useTempDirs();

/** Turns a data folder back into what the emulator before import contracts (schema 1) left. */
const toSchemaV1 = (dataDir: string) => {
  const db = new DatabaseSync(join(dataDir, "emulator.sqlite"));
  db.exec(`ALTER TABLE contracts DROP COLUMN write_api;
    ALTER TABLE files DROP COLUMN source;
    ALTER TABLE files DROP COLUMN account_id;
    DROP TABLE accounts;
    UPDATE meta SET value = '1' WHERE key = 'schema_version';`);
  db.close();
};
const schemaVersion = (dataDir: string) => {
  const db = new DatabaseSync(join(dataDir, "emulator.sqlite"));
  const { value } = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as {
    value: string;
  };
  db.close();
  return Number(value);
};

describe("schema migration (data folders of earlier versions)", () => {
  it("brings a schema-1 folder up to date, keeping its users, tokens and files; new data survives restarts", async () => {
    const dataDir = tempDir();
    const old = await startEmulator({ dataDir, contracts: [testContract()], autoApprove: true });
    const box = await new Client(old).onboard();
    const data = Buffer.from("written before the upgrade");
    expect((await new Client(old).write(box, data, { fileName: "old.txt" })).status).toBe(200);
    await old.close();
    toSchemaV1(dataDir);
    expect(schemaVersion(dataDir)).toBe(1);

    const upgraded = await startEmulator({ dataDir, contracts: [importContract()], autoApprove: true });
    let userId: string;
    try {
      expect(schemaVersion(dataDir)).toBe(SCHEMA_VERSION);
      const file = await latestFile(upgraded, box.postboxId);
      expect(file).toMatchObject({ fileName: "old.txt", source: "postbox", postboxId: box.postboxId });
      expect((await download(file?.url ?? "")).equals(data)).toBe(true);
      expect(upgraded.store.getContract("test-app_test-contract")?.writeApi).toBe("postbox");
      expect((await new Client(upgraded).write(box, Buffer.from("after"))).status).toBe(200);
      const importer = new ImportClient(upgraded);
      const user = await importer.signIn("push");
      userId = user.userId;
      expect((await importer.importRaw(user.accessToken, Buffer.from("imported"))).status).toBe(200);
    } finally {
      await upgraded.close();
    }

    const again = await startEmulator({ dataDir, autoApprove: true });
    try {
      expect(again.store.getContract("test-app_import-contract")?.writeApi).toBe("import");
      expect(
        again.accounts
          .list(userId)
          .map((a) => a.provider)
          .sort(),
      ).toEqual(["health", "import"]);
      const [imported] = await userFiles(again, userId);
      expect((await download(imported?.url ?? "")).toString()).toBe("imported");
    } finally {
      await again.close();
    }
  });
});

describe("dev contract as an import contract", () => {
  it("createDevContract({ writeApi }) makes it, or switches the stored one, keeping key and ids", () => {
    const dataDir = tempDir();
    const made = createDevContract(dataDir, { writeApi: "import" });
    expect(made.contract.writeApi).toBe("import");
    const found = createDevContract(dataDir);
    expect(found.contract.writeApi).toBe("import");
    const back = createDevContract(dataDir, { writeApi: "postbox" });
    expect(back.contract.writeApi).toBe("postbox");
    expect(back.privateKey).toBe(made.privateKey);
    expect(JSON.parse(readFileSync(made.contractPath, "utf8")).writeApi).toBe("postbox");
    // A description written before write APIs existed is a postbox contract.
    const { writeApi: _w, ...legacy } = JSON.parse(readFileSync(made.contractPath, "utf8"));
    writeFileSync(made.contractPath, JSON.stringify(legacy));
    expect(createDevContract(dataDir).contract.writeApi).toBeUndefined();
  });
});

describe("contracts say their write API", () => {
  it("POST /admin/contracts and the contracts file accept writeApi (default postbox)", async () => {
    const dir = tempDir();
    const { publicKey, redirectUri } = testContract();
    const file = join(dir, "contracts.json");
    writeFileSync(
      file,
      JSON.stringify([{ applicationId: "f", contractId: "imp", publicKey, redirectUri, writeApi: "import" }]),
    );
    const emu = await startEmulator({ memory: true, contractsFile: file });
    try {
      expect(emu.store.getContract("f_imp")?.writeApi).toBe("import");
      const add = async (body: Record<string, unknown>) =>
        fetch(`${emu.adminUrl}/contracts`, {
          method: "POST",
          body: JSON.stringify({ ...testContract(), ...body }),
        });
      const made = (await (await add({ contractId: "i", writeApi: "import" })).json()) as {
        contract: { writeApi: string };
      };
      expect(made.contract.writeApi).toBe("import");
      const plain = (await (await add({ contractId: "p" })).json()) as { contract: { writeApi: string } };
      expect(plain.contract.writeApi).toBe("postbox");
      expect((await add({ contractId: "x", writeApi: "sealed" })).status).toBe(400);
    } finally {
      await emu.close();
    }
  });
});
