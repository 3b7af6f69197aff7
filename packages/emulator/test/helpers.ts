import {
  constants,
  createCipheriv,
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  publicEncrypt,
  randomBytes,
  randomInt,
} from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { type OutgoingHttpHeaders, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { decodeProtectedHeader, jwtVerify, SignJWT } from "jose";
import { afterAll, beforeAll, expect, vi } from "vitest";
import {
  type ContractInput,
  type RunningEmulator,
  type StartEmulatorOptions,
  startEmulator,
} from "../src/index.js";

/** The other side of the protocol, built here with node:crypto and jose only (never sdk-core). */

export const makeRsa = () => generateKeyPairSync("rsa", { modulusLength: 2048 });
/** One contract key pair per test file (key generation is the slow part). */
export const contractKeys = makeRsa();

export const REDIRECT_URI = "https://app.example/callback";
export const CALLBACK = "https://app.example/failed";

export const testContract = (overrides: Partial<ContractInput> = {}): ContractInput => ({
  applicationId: "test-app",
  contractId: "test-contract",
  name: "Test App",
  publicKey: contractKeys.publicKey.export({ type: "pkcs1", format: "pem" }).toString(),
  redirectUri: REDIRECT_URI,
  ...overrides,
});

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
export const makeNonce = () =>
  Array.from({ length: 32 }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");

/** A request JWT made by jose: PS512, `nonce` and `timestamp` added unless given. */
export const signRequest = (payload: Record<string, unknown>, key: KeyObject = contractKeys.privateKey) =>
  new SignJWT({ nonce: makeNonce(), timestamp: Date.now(), ...payload })
    .setProtectedHeader({ alg: "PS512", typ: "JWT" })
    .sign(key);

export const pkcePair = () => {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
};

export interface Envelope {
  key: Buffer;
  iv: Buffer;
  claims: { iv: string; metadata: string; symmetrical_key: string };
}

export const aesCbc = (key: Buffer, iv: Buffer, data: Buffer) => {
  const cipher = createCipheriv("aes-256-cbc", key, iv);
  return Buffer.concat([cipher.update(data), cipher.final()]);
};

/** The write envelope of the wire format, made with node:crypto. */
export function makeEnvelope(postboxPublicKeyPem: string, descriptor: unknown): Envelope {
  const key = randomBytes(32);
  const iv = randomBytes(16);
  const wrapped = publicEncrypt(
    { key: postboxPublicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" },
    key,
  );
  return {
    key,
    iv,
    claims: {
      iv: iv.toString("hex"),
      metadata: aesCbc(key, iv, Buffer.from(JSON.stringify(descriptor))).toString("base64"),
      symmetrical_key: wrapped.toString("base64"),
    },
  };
}

export const DESCRIPTOR = {
  mimeType: "application/json",
  accounts: [{ accountId: "acc-1" }],
  tags: ["test"],
};

const BOUNDARY = "----digimeEmulatorTestBoundary7MA4YWxkTrZu0gW";
export const MULTIPART_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;
const head = (fileName: string) =>
  Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
const TAIL = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);

export const multipart = (fileName: string, encrypted: Buffer) =>
  Buffer.concat([head(fileName), encrypted, TAIL]);

/** A multipart body that encrypts `size` pseudo-random bytes on the fly; `hash` resolves to their SHA-256. */
export function streamingMultipart(fileName: string, key: Buffer, iv: Buffer, size: number, seed = 7) {
  const hash = createHash("sha256");
  async function* generate() {
    yield head(fileName);
    const cipher = createCipheriv("aes-256-cbc", key, iv);
    const block = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
    let left = size;
    let round = 0;
    while (left > 0) {
      const n = Math.min(left, block.length);
      const chunk = Buffer.from(block.subarray(0, n));
      if (n >= 4) chunk.writeUInt32LE(round++, 0);
      hash.update(chunk);
      yield cipher.update(chunk);
      left -= n;
    }
    yield cipher.final();
    yield TAIL;
  }
  return {
    stream: Readable.toWeb(Readable.from(generate())) as ReadableStream<Uint8Array>,
    digest: () => hash.digest("hex"),
  };
}

export const sha256 = (data: Buffer | Uint8Array) => createHash("sha256").update(data).digest("hex");

/** Starts an in-memory emulator on 127.0.0.1:0 with the test contract. */
export const start = (options: StartEmulatorOptions = {}) =>
  startEmulator({ memory: true, contracts: [testContract()], ...options });

export interface Onboarded {
  userId: string;
  postboxId: string;
  publicKey: string;
  accessToken: string;
  refreshToken: string;
  accessExpiry: number;
}

/** Drives the API like an app would, with fetch. */
export class Client {
  constructor(
    readonly emulator: RunningEmulator,
    readonly clientId = "test-app_test-contract",
    readonly privateKey: KeyObject = contractKeys.privateKey,
  ) {}

  post(path: string, jwt: string, init: RequestInit = {}) {
    return fetch(`${this.emulator.baseUrl}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${jwt}`, "content-type": "application/json" },
      body: JSON.stringify({ agent: { sdk: { name: "tests", version: "0.0.0", meta: {} } } }),
      redirect: "error",
      ...init,
    });
  }

  /** Verifies an answer token: its `jku` must be on the emulator's origin, its `kid` in that key set. */
  async verify(token: string): Promise<Record<string, unknown>> {
    const header = decodeProtectedHeader(token);
    if (typeof header.jku !== "string" || new URL(header.jku).origin !== this.emulator.url) {
      throw new Error(`untrusted jku ${String(header.jku)}`);
    }
    const set = (await (await fetch(header.jku)).json()) as { keys: { kid: string; pem: string }[] };
    const key = set.keys.find((k) => k.kid === header.kid);
    if (!key) throw new Error(`no key ${header.kid}`);
    const { payload } = await jwtVerify(token, createPublicKey(key.pem), { algorithms: ["PS512"] });
    return payload as Record<string, unknown>;
  }

  authorizeJwt(claims: Record<string, unknown> = {}) {
    const { challenge } = pkcePair();
    return signRequest(
      {
        client_id: this.clientId,
        code_challenge: challenge,
        code_challenge_method: "S256",
        redirect_uri: REDIRECT_URI,
        response_mode: "query",
        response_type: "code",
        state: "state-1",
        ...claims,
      },
      this.privateKey,
    );
  }

  /** `oauth/authorize`; returns the preauthorization code and the PKCE verifier. */
  async authorize(claims: Record<string, unknown> = {}) {
    const pkce = pkcePair();
    const res = await this.post(
      "oauth/authorize",
      await this.authorizeJwt({ code_challenge: pkce.challenge, ...claims }),
    );
    if (res.status !== 200) throw new Error(`authorize ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { token: string; session: { expiry: number; key: string } };
    const payload = await this.verify(body.token);
    return { code: payload.preauthorization_code as string, verifier: pkce.verifier, session: body.session };
  }

  consentUrl(code: string, callback = CALLBACK) {
    return `${this.emulator.onboardUrl}authorize?code=${encodeURIComponent(code)}&callback=${encodeURIComponent(callback)}`;
  }

  /** Follows the consent page with auto-approve on; returns the redirect's query. */
  async consentAuto(code: string) {
    const res = await fetch(this.consentUrl(code), { redirect: "manual" });
    if (res.status !== 302) throw new Error(`consent ${res.status} ${await res.text()}`);
    return new URL(res.headers.get("location") ?? "").searchParams;
  }

  async exchange(code: string, verifier: string) {
    return this.post(
      "oauth/token",
      await signRequest(
        { client_id: this.clientId, code, code_verifier: verifier, grant_type: "authorization_code" },
        this.privateKey,
      ),
    );
  }

  async refresh(refreshToken: string) {
    return this.post(
      "oauth/token",
      await signRequest(
        { client_id: this.clientId, grant_type: "refresh_token", refresh_token: refreshToken },
        this.privateKey,
      ),
    );
  }

  async tokensOf(res: Response) {
    if (res.status !== 200) throw new Error(`token ${res.status} ${await res.text()}`);
    const payload = (await this.verify(((await res.json()) as { token: string }).token)) as {
      access_token: { value: string; expires_on: number };
      refresh_token: { value: string; expires_on: number };
      sub: string;
    };
    return payload;
  }

  /** authorize -> consent (auto-approve must be on) -> token. */
  async onboard(claims: Record<string, unknown> = {}): Promise<Onboarded> {
    const { code, verifier } = await this.authorize(claims);
    const query = await this.consentAuto(code);
    const tokens = await this.tokensOf(await this.exchange(query.get("code") ?? "", verifier));
    return {
      userId: tokens.sub,
      postboxId: query.get("postboxId") ?? "",
      publicKey: query.get("publicKey") ?? "",
      accessToken: tokens.access_token.value,
      refreshToken: tokens.refresh_token.value,
      accessExpiry: tokens.access_token.expires_on,
    };
  }

  /** A write request: `body` is the whole multipart body or a stream of it. */
  async writeRaw(
    postboxId: string,
    claims: Record<string, unknown>,
    body: BodyInit,
    contentType = MULTIPART_TYPE,
  ) {
    const jwt = await signRequest({ client_id: this.clientId, ...claims }, this.privateKey);
    return fetch(`${this.emulator.baseUrl}permission-access/postbox/${postboxId}`, {
      method: "POST",
      headers: { authorization: `Bearer ${jwt}`, "content-type": contentType },
      body,
      redirect: "error",
      duplex: "half",
    } as RequestInit);
  }

  /** Encrypts and writes `data` as the official SDK would. */
  async write(box: Onboarded, data: Buffer, options: { fileName?: string; descriptor?: unknown } = {}) {
    const envelope = makeEnvelope(box.publicKey, options.descriptor ?? DESCRIPTOR);
    return this.writeRaw(
      box.postboxId,
      { access_token: box.accessToken, ...envelope.claims },
      multipart(options.fileName ?? "data.json", aesCbc(envelope.key, envelope.iv, data)),
    );
  }
}

/** What {@link useEmulator} hands a test file. */
export interface EmulatorSetup {
  emu: RunningEmulator;
  client: Client;
}

/**
 * The usual setup of a test file: an auto-approving emulator ({@link start}) and a {@link Client}
 * before all its tests (and, with `onboard`, one onboarded user, `box`), closed after them.
 *
 * @param ready - Takes the setup once it is up (assign it to the file's variables).
 */
export function useEmulator(ready: (setup: EmulatorSetup) => void): void;
export function useEmulator(
  ready: (setup: EmulatorSetup & { box: Onboarded }) => void,
  options: { onboard: true },
): void;
export function useEmulator(
  ready: (setup: EmulatorSetup & { box: Onboarded }) => void,
  options: { onboard?: boolean } = {},
): void {
  let emu: RunningEmulator | undefined;
  beforeAll(async () => {
    emu = await start({ autoApprove: true });
    const client = new Client(emu);
    const box = options.onboard ? await client.onboard() : (undefined as unknown as Onboarded);
    ready({ emu, client, box });
  });
  afterAll(() => emu?.close());
}

export const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string; reference?: string } }).error;

/** Checks a refusal: status, code, and the same code, message and reference in the X-Error-* headers. */
export const expectRefusal = async (res: Response, status: number, code: string) => {
  expect(res.status).toBe(status);
  const error = await errorOf(res);
  expect(error.code).toBe(code);
  expect(res.headers.get("x-error-code")).toBe(code);
  expect(res.headers.get("x-error-message")).toBe(error.message.replace(/[^\x20-\x7e]/g, "?"));
  expect(res.headers.get("x-error-reference")).toBe(error.reference);
};

/**
 * Follows an onboarding URL with auto-approve on and checks the redirect says
 * `success=true&state=<state>`; returns its query.
 */
export const approvedRedirect = async (url: string, state: string) => {
  const res = await fetch(url, { redirect: "manual" });
  expect(res.status).toBe(302);
  const query = new URL(res.headers.get("location") ?? "").searchParams;
  expect(query.get("success")).toBe("true");
  expect(query.get("state")).toBe(state);
  return query;
};

/** Temporary folders for one test file, removed after its tests: call at the top level. */
export const useTempDirs = (): (() => string) => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), "digime-emulator-test-"));
    dirs.push(dir);
    return dir;
  };
};

/** A postbox's files from the library API, newest first (at most `limit` when given). */
export const postboxFiles = async (emulator: RunningEmulator, postboxId: string, limit?: number) => {
  const res = await fetch(
    `${emulator.libraryUrl}/api/files?postboxId=${postboxId}${limit === undefined ? "" : `&limit=${limit}`}`,
  );
  const { files } = (await res.json()) as { files: import("../src/index.js").LibraryFileJson[] };
  return files;
};

export const latestFile = async (emulator: RunningEmulator, postboxId: string) =>
  (await postboxFiles(emulator, postboxId, 1))[0];

export const download = async (url: string) => Buffer.from(await (await fetch(url)).arrayBuffer());

/** How long a test waits for the emulator to reach a state before it fails. */
export const WAIT = { timeout: 10_000, interval: 5 } as const;

/** Waits (bounded by {@link WAIT}) until every request that reached `emulator` has settled. */
export const untilSettled = (emulator: RunningEmulator) =>
  vi.waitFor(() => expect(emulator.requestsInProgress, "requests in progress").toBe(0), WAIT);

/**
 * Sends the first `part` of a request body, waits until the emulator has an upload on its way to
 * disk (failing if none comes), cuts the connection, and waits until its handler has settled.
 * Returns the uploads that were pending while it was sending.
 */
export async function cutMidUpload(
  emulator: RunningEmulator,
  url: URL,
  headers: OutgoingHttpHeaders,
  part: Buffer,
): Promise<string[]> {
  const req = request(url, { method: "POST", headers });
  const closed = new Promise<void>((resolve) => {
    req.on("error", () => resolve());
    req.on("close", () => resolve());
  });
  req.write(part);
  await vi.waitFor(
    () => expect(emulator.store.pendingUploads(), "an upload on its way").toHaveLength(1),
    WAIT,
  );
  const during = emulator.store.pendingUploads();
  req.destroy();
  await closed;
  await untilSettled(emulator);
  return during;
}
