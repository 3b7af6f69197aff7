/**
 * `pnpm bench`: what the Worker costs.
 *
 * 1. Uploads of 64 KiB and 4 MiB, each mode of {@link MODES} (plain, sealed, import), at
 *    concurrency 1, 8 and 32, through the Worker in workerd (Miniflare's `dispatchFetch`: no
 *    wrangler dev proxy), next to the same writes made by sdk-core directly from Node to the same
 *    emulator (`cells.ts`). The ratio direct/Worker of uploads per second is the Worker's added cost
 *    (target <= 1.30x at 32); CPU per upload of the workerd process and of this process (client +
 *    emulator). The same cells under `wrangler dev` are shown beside them, labelled. Interleaved
 *    with them, the same direct writes through the forwarding floor (`floors.ts`: a Worker of a few
 *    lines that passes the request on), so that the hop's own cost and ours are told apart (1b).
 * 2. The Worker's own JavaScript CPU per upload (what Cloudflare bills and limits), per mode and
 *    size (64 KiB, 4 MiB, 64 MiB), from CPU profiles of its isolate through workerd's inspector
 *    (`profiles.ts`; `cpu-profile.ts` for what is counted), with the plans it fits.
 * 3. The deployable bundle's size, gzipped; then the notes of every target (`notes.ts`).
 * 4. Resumable (tus) vs single-request uploads of 64 MiB through the Worker, plain and sealed, as a
 *    ratio (`resumable.ts`, under `wrangler dev`; printed only).
 *
 * Every upload is verified: the emulator's library must hold one intact copy (SHA-256) per upload.
 * Starts and stops everything itself, on 127.0.0.1 only; prints tables (`report.ts`) and writes
 * `bench/results.json`. Run after `pnpm build` (it uses sdk-core's and the emulator's dist).
 *
 *   node bench/uploads.ts [--seconds 2.5] [--port 8799] [--sections uploads,profiles,workerd-socket,wrangler-dev,resumable]
 *                         [--profiles-dir DIR]   (keeps the CPU profiles, for DevTools)
 *                         [--bundle DIR]   (measures a bundle built before, to compare a change)
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { startEmulator } from "@digime-edge/emulator";
import { type Group, uploadCells } from "./cells.ts";
import { signInDirect, signInThroughWorker, type WorkerSession } from "./clients.ts";
import { type FloorClients, fetchThrough, floorContenders, startFloors } from "./floors.ts";
import { startMiniflare, startWranglerDev, type WorkerHost, type WorkerSettings, wrangler } from "./hosts.ts";
import { MODES, type WriteApi } from "./modes.ts";
import { modeContenders, profileCells } from "./profiles.ts";
import { machine, type Results, report } from "./report.ts";
import { runResumableSection } from "./resumable.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "2.5" },
    port: { type: "string", default: "8799" },
    sections: { type: "string", default: "uploads,profiles,wrangler-dev,resumable" },
    "profiles-dir": { type: "string" },
    bundle: { type: "string" },
  },
});
const SECONDS = Number(values.seconds);
/** Each cell is measured in this many slices, interleaved with the other contenders' slices. */
const ROUNDS = 2;
const SECTIONS = new Set(values.sections.split(","));
/** The first Worker's port (its origin names it); a second write API's Worker takes the next. */
const PORT = Number(values.port);
const KiB = 1024;
const MiB = 1024 * KiB;
const SIZES = [64 * KiB, 4 * MiB];
const LEVELS = [1, 8, 32];

async function main() {
  const loadBefore = loadavg();
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  // One contract per write API the modes use, each with its own Worker origin (port).
  const apis = [...new Set(MODES.map((m) => m.writeApi))];
  const contracts = apis.map((writeApi, i) => ({
    applicationId: "bench-app",
    contractId: `bench-${writeApi}-contract`,
    publicKey: publicKey.export({ type: "pkcs1", format: "pem" }).toString(),
    redirectUri: `http://127.0.0.1:${PORT + i}/auth/callback`,
    write: true,
    writeApi,
  }));
  const emulator = await startEmulator({ port: 0, memory: true, autoApprove: true, contracts });
  const sessionSecret = randomBytes(32).toString("base64url");
  const scratch = mkdtempSync(join(tmpdir(), "edge-bench-"));
  const hosts: WorkerHost[] = [];
  try {
    const bundleDir = values.bundle ?? join(scratch, "bundle");
    if (!values.bundle) await wrangler(["deploy", "--dry-run", "--outdir", bundleDir]);
    const code = readFileSync(join(bundleDir, "index.js"));
    const bundle = { bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };

    // The floors (floors.ts): Workers of a few lines, measured beside ours in uploads and profiles.
    const floors =
      SECTIONS.has("uploads") || SECTIONS.has("profiles") ? await startFloors(emulator) : undefined;
    if (floors) hosts.push(floors.forwarder, floors.reader);
    const groups = new Map<WriteApi, Group>();
    // The floors' clients of the import contract: the only ones profiled.
    let importFloors: FloorClients | undefined;
    for (const [i, contract] of contracts.entries()) {
      const origin = new URL(contract.redirectUri).origin;
      const settings: WorkerSettings = {
        vars: {
          DIGIME_APPLICATION_ID: contract.applicationId,
          DIGIME_CONTRACT_ID: contract.contractId,
          DIGIME_WRITE_API: contract.writeApi,
          DIGIME_REDIRECT_URI: contract.redirectUri,
          DIGIME_BASE_URL: emulator.baseUrl,
          DIGIME_ONBOARD_URL: emulator.onboardUrl,
          RATE_LIMIT_PER_MINUTE: "100000000",
          MAX_CONCURRENT_UPLOADS: "100000",
          ALLOWED_ORIGINS: "",
        },
        secrets: { DIGIME_PRIVATE_KEY: privatePem.trim(), SESSION_SECRET: sessionSecret },
      };
      const details = {
        contractId: contract.contractId,
        privateKey: privatePem,
        redirectUri: contract.redirectUri,
      };
      const direct = await signInDirect(emulator, contract.applicationId, details);
      const profiled = floors && SECTIONS.has("profiles") && contract.writeApi === "import";
      let forwarded: Group["forwarded"];
      if (floors && (SECTIONS.has("uploads") || profiled)) {
        const through = fetchThrough(floors.forwarder);
        const client = await signInDirect(emulator, contract.applicationId, details, through);
        forwarded = { client, host: floors.forwarder };
      }
      const [miniflare, socket] = await startMiniflare(bundleDir, settings);
      hosts.push(miniflare);
      const mfSession = await signInThroughWorker(miniflare, origin);
      const sessions = [mfSession];
      if (SECTIONS.has("workerd-socket"))
        sessions.push({ ...mfSession, host: socket, origin: socket.origin as string });
      if (SECTIONS.has("wrangler-dev")) {
        const dev = await startWranglerDev(bundleDir, PORT + i, settings, scratch);
        hosts.push(dev);
        sessions.push(await signInThroughWorker(dev, origin));
      }
      groups.set(contract.writeApi, { miniflare: mfSession, sessions, direct, forwarded });
      if (profiled && forwarded) {
        const through = fetchThrough(floors.reader);
        const reader = await signInDirect(emulator, contract.applicationId, details, through);
        importFloors = { forwarder: forwarded.client, reader };
      }
    }
    const rows = SECTIONS.has("uploads")
      ? await uploadCells(groups, emulator, {
          sizes: SIZES,
          levels: LEVELS,
          seconds: SECONDS,
          rounds: ROUNDS,
        })
      : [];
    const miniflareSessions = new Map<WriteApi, WorkerSession>(
      [...groups].map(([api, group]) => [api, group.miniflare]),
    );
    // The modes and the floors (floors.ts), profiled in turn.
    const contenders = [
      ...modeContenders(miniflareSessions, bundleDir),
      ...(floors && importFloors ? floorContenders(floors, importFloors) : []),
    ];
    const { rows: profiles, prioritized } = SECTIONS.has("profiles")
      ? await profileCells(contenders, emulator, values["profiles-dir"])
      : { rows: [], prioritized: false };

    const results: Results & { profiledWithPriority: boolean } = {
      machine: machine(loadBefore),
      seconds: SECONDS,
      rounds: ROUNDS,
      rows,
      profiles,
      /** Whether workerd ran at a higher priority while profiled (see profileCells). */
      profiledWithPriority: prioritized,
      bundle,
    };
    writeFileSync(join(import.meta.dirname, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
    // Unmet targets are printed; only an upload that failed or arrived damaged fails the run.
    if (!report(results)) process.exitCode = 1;
  } finally {
    for (const host of hosts) await host.stop().catch(() => {});
    hosts.length = 0;
    await emulator.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
if (SECTIONS.has("resumable")) await runResumableSection();
