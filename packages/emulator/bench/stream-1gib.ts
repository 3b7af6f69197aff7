/**
 * Streams a 1 GiB encrypted write (made with node:crypto, as the official SDK up to v8 makes it),
 * then a 1 GiB import (raw and chunked, as the official SDK 16 sends it), into the emulator
 * running as a child process, and prints how much the emulator's resident memory grew at its
 * peak for each. Run after `pnpm build`: `node bench/stream-1gib.ts [--mib 1024]`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  constants,
  createCipheriv,
  createHash,
  generateKeyPairSync,
  publicEncrypt,
  randomBytes,
  randomInt,
  sign,
} from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const TARGET_MIB = 128;
const { values } = parseArgs({ options: { mib: { type: "string", default: "1024" } } });
const sizeMib = Number(values.mib);
const size = sizeMib * 1024 * 1024;
const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
if (!existsSync(cli)) {
  console.error("bench: dist/cli.js is missing; run `pnpm --filter @digime-edge/emulator build` first");
  process.exit(1);
}

const MiB = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const b64u = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const nonce = () => Array.from({ length: 32 }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");

const contract = generateKeyPairSync("rsa", { modulusLength: 2048 });
const redirectUri = "http://127.0.0.1/bench-callback";
/** A PS512 JWT of the bench contract key. */
const ps512 = (payload: Record<string, unknown>) => {
  const input = `${b64u({ alg: "PS512", typ: "JWT" })}.${b64u(payload)}`;
  const signature = sign("sha512", Buffer.from(input), {
    key: contract.privateKey,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: 64,
  });
  return `${input}.${signature.toString("base64url")}`;
};
/** A request JWT of a contract (`client_id`, a fresh nonce and timestamp, then `claims`). */
const jwtOf = (clientId: string) => (claims: Record<string, unknown>) =>
  ps512({ client_id: clientId, nonce: nonce(), timestamp: Date.now(), ...claims });
const jwt = jwtOf("bench-app_bench-contract");
const importJwt = jwtOf("bench-app_bench-import");
const DESCRIPTOR = { mimeType: "application/octet-stream", accounts: [{ accountId: "bench" }] };
const payloadOf = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString());

/** Resident and peak-resident memory of a process, from /proc (Linux). */
const memoryOf = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kib("VmRSS"), hwm: kib("VmHWM") };
};

const dir = mkdtempSync(join(tmpdir(), "digime-emulator-bench-"));
let child: ChildProcess | undefined;
let pid = 0;
let url = "";
let baseUrl = "";
const stopChild = async () => {
  const running = child;
  child = undefined;
  running?.kill("SIGTERM");
  if (running && running.exitCode === null) await new Promise((r) => running.once("exit", r));
};
/** A fresh emulator for each upload, so one's memory does not hide the next one's. */
const startChild = async () => {
  await stopChild();
  const started = spawn(
    process.execPath,
    [cli, "--port", "0", "--memory", "--auto-approve", "--json", "--contracts", join(dir, "contracts.json")],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  child = started;
  const stdout = started.stdout;
  if (!stdout || started.pid === undefined) throw new Error("could not start the emulator");
  pid = started.pid;
  const firstLine = await new Promise<string>((resolve, reject) => {
    createInterface({ input: stdout }).once("line", resolve);
    started.once("exit", (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  ({ url, baseUrl } = JSON.parse(firstLine) as { url: string; baseUrl: string });
};
try {
  writeFileSync(
    join(dir, "contracts.json"),
    JSON.stringify([
      {
        applicationId: "bench-app",
        contractId: "bench-contract",
        publicKey: contract.publicKey.export({ type: "pkcs1", format: "pem" }),
        redirectUri,
        name: "Benchmark",
      },
      {
        applicationId: "bench-app",
        contractId: "bench-import",
        publicKey: contract.publicKey.export({ type: "pkcs1", format: "pem" }),
        redirectUri,
        name: "Benchmark (import)",
        writeApi: "import",
      },
    ]),
  );
  const post = async (path: string, token: string) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: "{}",
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return payloadOf(((await res.json()) as { token: string }).token);
  };

  /** Onboards a user of a contract: authorize -> consent (auto-approve) -> token. */
  const onboard = async (sign: typeof jwt) => {
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const { preauthorization_code: pre } = await post(
      "oauth/authorize",
      sign({
        code_challenge: challenge,
        code_challenge_method: "S256",
        redirect_uri: redirectUri,
        response_mode: "query",
        response_type: "code",
        state: "bench",
      }),
    );
    const consent = await fetch(
      `${url}/apps/saas/authorize?code=${pre}&callback=${encodeURIComponent(redirectUri)}`,
      { redirect: "manual" },
    );
    const query = new URL(consent.headers.get("location") ?? "").searchParams;
    const tokens = await post(
      "oauth/token",
      sign({ code: query.get("code"), code_verifier: verifier, grant_type: "authorization_code" }),
    );
    return { query, accessToken: tokens.access_token.value as string };
  };

  /**
   * Streams `size` bytes (encoded by `cipher` when given) between `head` and `tail` to `path`,
   * watching the emulator's resident memory; checks the answer and the stored file (the newest
   * that `libraryQuery` lists) and prints the peak growth. False when over target or not exact.
   */
  const upload = async (
    label: string,
    path: string,
    headers: Record<string, string | number>,
    libraryQuery: string,
    framing: { head?: Buffer; tail?: Buffer; cipher?: ReturnType<typeof createCipheriv> } = {},
  ) => {
    const { head, tail, cipher } = framing;
    await new Promise((r) => setTimeout(r, 300));
    const baseline = memoryOf(pid).rss;
    // Reset the kernel's peak-RSS mark so VmHWM covers the upload only (needs Linux >= 4.0).
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, "5");
    } catch {}
    let peak = baseline;
    const poll = setInterval(() => {
      peak = Math.max(peak, memoryOf(pid).rss);
    }, 20);

    const plainHash = createHash("sha256");
    const started = performance.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const req = request(`${baseUrl}${path}`, { method: "POST", headers });
      req.on("error", reject);
      req.on("response", (res) => {
        const parts: Buffer[] = [];
        res.on("data", (d: Buffer) => parts.push(d));
        res.on("end", () => resolve(Buffer.concat(parts).toString()));
      });
      const block = randomBytes(1024 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < size) {
          const n = Math.min(block.length, size - sent);
          const chunk = block.subarray(0, n);
          plainHash.update(chunk);
          sent += n;
          if (!req.write(cipher ? cipher.update(chunk) : chunk)) return void req.once("drain", pump);
        }
        if (cipher) req.write(cipher.final());
        req.end(tail);
      };
      if (head) req.write(head);
      pump();
    });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(poll);
    peak = Math.max(peak, memoryOf(pid).hwm, memoryOf(pid).rss);
    const result = JSON.parse(answer) as { status?: string };
    if (result.status !== "delivered") throw new Error(`${label} answered ${answer}`);

    const files = (await (await fetch(`${url}/library/api/files?${libraryQuery}&limit=1`)).json()) as {
      files: { size: number; sha256: string }[];
    };
    const stored = files.files[0];
    const exact = stored?.size === size && stored.sha256 === plainHash.digest("hex");
    const growth = peak - baseline;
    console.log(
      `emulator ${sizeMib === 1024 ? "1 GiB" : `${sizeMib} MiB`} ${label}: peak RSS growth ${MiB(growth)} MiB (target < ${TARGET_MIB} MiB)`,
    );
    console.log(
      `  baseline ${MiB(baseline)} MiB, peak ${MiB(peak)} MiB, ${seconds.toFixed(1)} s (${(sizeMib / seconds).toFixed(0)} MiB/s), stored bytes ${exact ? "match" : "DO NOT MATCH"}`,
    );
    return exact && growth < TARGET_MIB * 1024 * 1024;
  };

  // The postbox write: the envelope, as the wire format describes it, in a multipart body.
  await startChild();
  const box = await onboard(jwt);
  const postboxId = box.query.get("postboxId") ?? "";
  const key = randomBytes(32);
  const iv = randomBytes(16);
  const encrypt = (data: Buffer) => {
    const c = createCipheriv("aes-256-cbc", key, iv);
    return Buffer.concat([c.update(data), c.final()]);
  };
  const claims = {
    access_token: box.accessToken,
    iv: iv.toString("hex"),
    metadata: encrypt(Buffer.from(JSON.stringify(DESCRIPTOR))).toString("base64"),
    symmetrical_key: publicEncrypt(
      { key: box.query.get("publicKey") ?? "", padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" },
      key,
    ).toString("base64"),
  };
  const boundary = `----bench${randomBytes(8).toString("hex")}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="1gib.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const cipherLength = (Math.floor(size / 16) + 1) * 16;
  const postboxOk = await upload(
    "postbox upload",
    `permission-access/postbox/${postboxId}`,
    {
      authorization: `Bearer ${jwt(claims)}`,
      "content-type": `multipart/form-data; boundary=${boundary}`,
      "content-length": head.length + cipherLength + tail.length,
    },
    `postboxId=${postboxId}`,
    { head, tail, cipher: createCipheriv("aes-256-cbc", key, iv) },
  );

  // The import (pushData): the raw bytes, chunked, as the official SDK 16 sends them.
  await startChild();
  const importer = await onboard(importJwt);
  const importOk = await upload(
    "import (chunked)",
    "permission-access/import",
    {
      authorization: `Bearer ${importJwt({ access_token: importer.accessToken })}`,
      filedescriptor: ps512({ metadata: DESCRIPTOR }),
      "content-type": "application/octet-stream",
      "transfer-encoding": "chunked",
    },
    "source=import",
  );
  if (!postboxOk || !importOk) process.exitCode = 1;
} finally {
  await stopChild();
  rmSync(dir, { recursive: true, force: true });
}
