// scripts/start.mjs and its modules: which write API the demo is asked for, and that its emulator
// and the Worker's settings follow it, also when the dev contract in the data folder was made as
// the other kind; wrangler dev takes its settings from the file; start.mjs still exports every
// part that tests elsewhere import from it. (The whole demo, with a browser, is examples/spa's test.)
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { SETTINGS } from "../../packages/edge-worker/src/settings.ts";
import { startDemoEmulator } from "../demo-emulator.mjs";
import { WORKER_DIR } from "../demo-paths.mjs";
import { pickPort } from "../ports.mjs";
import * as start from "../start.mjs";
import { workerSettings, writeApiOf, writeWorkerSettings } from "../worker-settings.mjs";
import { startWorker, waitForWorker } from "../wrangler-dev.mjs";

test("start.mjs: --import, --postbox and DIGIME_WRITE_API choose the write API; anything else is refused", () => {
  assert.equal(writeApiOf([], {}), "postbox");
  assert.equal(writeApiOf([], { DIGIME_WRITE_API: "" }), "postbox");
  assert.equal(writeApiOf([], { DIGIME_WRITE_API: "import" }), "import");
  assert.equal(writeApiOf(["--import"], {}), "import");
  assert.equal(writeApiOf(["--", "--import"], {}), "import");
  assert.equal(writeApiOf(["--postbox"], { DIGIME_WRITE_API: "import" }), "postbox", "the flag wins");
  assert.throws(
    () => writeApiOf([], { DIGIME_WRITE_API: "Import" }),
    /DIGIME_WRITE_API is postbox or import/,
  );
  assert.throws(() => writeApiOf(["--imprt"], {}), /usage: \.\/dev start/);
  assert.throws(() => writeApiOf(["--import", "--postbox"], {}), /usage: \.\/dev start/);
});

test("start.mjs: the demo's emulator switches its stored dev contract between kinds, and the Worker's DIGIME_WRITE_API follows", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "digime-start-test-"));
  const workerUrl = "http://127.0.0.1:8787";
  const redirectUri = `${workerUrl}/auth/callback`;
  try {
    const keys = [];
    for (const writeApi of ["import", "postbox", "import", undefined]) {
      const emulator = await startDemoEmulator({ dataDir, redirectUri, writeApi });
      try {
        const expected = writeApi ?? "postbox";
        const dev = emulator.devContract;
        assert.ok(dev);
        assert.equal(dev.contract.writeApi, expected, `dev contract asked as ${writeApi}`);
        const stored = JSON.parse(await readFile(dev.contractPath, "utf8"));
        assert.equal(stored.writeApi, expected, "the stored description follows");
        assert.equal(
          emulator.store.getContract(dev.clientId)?.writeApi,
          expected,
          "the registered contract follows",
        );
        assert.equal(workerSettings({ emulator, workerUrl }).DIGIME_WRITE_API, expected);
        keys.push(dev.privateKey);
      } finally {
        await emulator.close();
      }
    }
    assert.equal(new Set(keys).size, 1, "one key pair throughout: the contract is switched, not made again");
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test("start.mjs: the demo sets every setting of the Worker's list, each declared in wrangler.jsonc", async () => {
  // With `secrets` declared, wrangler dev loads from --env-file only the keys named in `vars` or
  // `secrets.required`; any other key is dropped without a word.
  const text = await readFile(join(WORKER_DIR, "wrangler.jsonc"), "utf8");
  const config = JSON.parse(text.replace(/^\s*\/\/.*$/gm, ""));
  const declared = [...Object.keys(config.vars ?? {}), ...(config.secrets?.required ?? [])];
  const emulator = /** @type {any} */ ({
    devContract: {
      contract: { applicationId: "app", contractId: "contract", writeApi: "import" },
      privateKey: "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n",
    },
    baseUrl: "http://127.0.0.1:1/v1.7/",
    onboardUrl: "http://127.0.0.1:1/apps/saas/",
  });
  const settings = workerSettings({ emulator, workerUrl: "http://127.0.0.1:8787" });
  assert.deepEqual(Object.keys(settings).sort(), Object.keys(SETTINGS).sort(), "the Worker's list, exactly");
  for (const name of Object.keys(settings)) assert.ok(declared.includes(name), `${name} is declared`);
  assert.equal(settings.DIGIME_WRITE_API, "import", "the dev contract's write API");
  assert.equal(settings.BODY_TIMEOUT_SECONDS, SETTINGS.BODY_TIMEOUT_SECONDS.default, "a default");
  assert.equal(config.vars.DIGIME_WRITE_API, "postbox", "the default stays the postbox API");
});

test("start.mjs: wrangler dev takes a setting from the settings file that wrangler.jsonc gives a default", async () => {
  const dir = await mkdtemp(join(tmpdir(), "digime-start-test-"));
  const port = await pickPort(0);
  const workerUrl = `http://127.0.0.1:${port}`;
  const emulator = await startDemoEmulator({
    dataDir: join(dir, "data"),
    redirectUri: `${workerUrl}/auth/callback`,
  });
  let worker;
  try {
    const settingsFile = join(dir, ".dev.vars");
    await writeWorkerSettings(settingsFile, {
      ...workerSettings({ emulator, workerUrl }),
      TUS_MAX_UPLOAD_BYTES: "1234",
    });
    worker = await startWorker({ port, settingsFile, persistTo: join(dir, "state") });
    await waitForWorker(worker, { withAssets: false });
    const answer = await fetch(`${workerUrl}/api/uploads`, { method: "OPTIONS" });
    assert.equal(answer.headers.get("Tus-Max-Size"), "1234", "not wrangler.jsonc's default");
  } finally {
    await worker?.stop();
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("start.mjs: re-exports the parts that the SPA's and the Worker's tests import from it", () => {
  const used = ["REPO", "SPA_DIR", "SPA_DIST", "WORKER_DIR", "buildSpa", "pickPort", "readSessionSecret"];
  used.push("startDemo", "startDemoEmulator", "startWorker", "waitForWorker", "workerSettings");
  used.push("writeWorkerSettings", "writeApiOf", "loadEmulator", "isPortFree", "DEFAULT_WRITE_API");
  for (const name of used) assert.ok(name in start, `${name} is exported`);
  assert.equal(start.pickPort, pickPort, "the same function, not a copy");
  assert.equal(start.startWorker, startWorker);
  assert.equal(start.DEFAULT_WORKER_PORT, 8787);
});
