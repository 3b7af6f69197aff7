/** The other side of the protocol, built here with node:crypto and jose only (never sdk-core). */
import {
  constants,
  createCipheriv,
  createHash,
  generateKeyPairSync,
  type KeyObject,
  publicEncrypt,
  randomBytes,
  randomInt,
} from "node:crypto";
import { Readable } from "node:stream";
import { SignJWT } from "jose";
import type { ContractInput } from "../../src/index.ts";

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
