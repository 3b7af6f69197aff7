/**
 * Write to a digi.me library from Node with @digime-edge/sdk-core: authorize, exchange the code,
 * write a file from disk as a stream, then a small JSON document.
 *
 *   node index.ts [file]          (Node 22.18+ runs TypeScript as is)
 *
 * Against the local emulator, started with consent given at once:
 *   node packages/emulator/dist/cli.js --port 8788 --auto-approve --redirect-uri http://127.0.0.1:8787/auth/callback
 *
 * Settings (environment; the defaults are the emulator's dev contract):
 *   DIGIME_BASE_URL, DIGIME_ONBOARD_URL, DIGIME_APPLICATION_ID, DIGIME_CONTRACT_ID,
 *   DIGIME_PRIVATE_KEY (PEM) or DIGIME_PRIVATE_KEY_FILE, DIGIME_REDIRECT_URI
 */
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { type FileDescriptor, init } from "@digime-edge/sdk-core";

const env = process.env;
const emulator = "http://127.0.0.1:8788";
const devKeyFile = new URL("../../packages/emulator/.data/dev-contract.key.pem", import.meta.url);

const sdk = init({
  applicationId: env.DIGIME_APPLICATION_ID ?? "dev-app",
  baseUrl: env.DIGIME_BASE_URL ?? `${emulator}/v1.7/`,
  onboardUrl: env.DIGIME_ONBOARD_URL ?? `${emulator}/apps/saas/`,
});
const contractDetails = {
  contractId: env.DIGIME_CONTRACT_ID ?? "dev-write-contract",
  privateKey: env.DIGIME_PRIVATE_KEY ?? (await readFile(env.DIGIME_PRIVATE_KEY_FILE ?? devKeyFile, "utf8")),
  redirectUri: env.DIGIME_REDIRECT_URI ?? "http://127.0.0.1:8787/auth/callback",
};
// `pnpm start -- file` passes the `--` along.
const args = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === "--"));
const path = args[0] ?? fileURLToPath(new URL("README.md", import.meta.url));

// 1. Authorize. A web app sends the user to `url`; digi.me answers at the contract's redirect URI
//    with `code`, `postboxId` and `publicKey`. The emulator with --auto-approve answers at once, so
//    here the redirect is read instead of followed.
const { url, codeVerifier } = await sdk.getAuthorizeUrl({
  contractDetails,
  callback: contractDetails.redirectUri,
  state: "node-example",
});
const consent = await fetch(url, { redirect: "manual" });
const location = consent.headers.get("location");
if (!location) {
  throw new Error(`digi.me shows a consent page (HTTP ${consent.status}): open ${url} in a browser,
or start the emulator with --auto-approve`);
}
const answer = new URL(location).searchParams;
const code = answer.get("code");
const postboxId = answer.get("postboxId");
const publicKey = answer.get("publicKey");
if (answer.get("success") !== "true" || !code || !postboxId || !publicKey) {
  throw new Error(`authorization failed: ${answer.get("errorCode") ?? location}`);
}

// 2. Exchange the code for the user's tokens (keep them server-side: they are secrets).
let userAccessToken = await sdk.exchangeCodeForToken({
  contractDetails,
  authorizationCode: code,
  codeVerifier,
});
console.log(`Authorized: postbox ${postboxId}`);

const descriptor = (mimeType: string): FileDescriptor => ({
  mimeType,
  accounts: [{ accountId: "example-account" }],
  tags: ["example", "node"],
});

// 3. Write the file as a stream: a Node Readable is an async iterable of bytes, encrypted as it
//    flows; the file is never held whole in memory.
const fileName = basename(path);
const { size } = await stat(path);
const written = await sdk.write({
  contractDetails,
  userAccessToken,
  postboxId,
  publicKey,
  data: {
    fileData: createReadStream(path),
    fileName,
    fileDescriptor: descriptor("application/octet-stream"),
  },
});
userAccessToken = written.userAccessToken; // the token that last worked (refreshed if it had to be)
console.log(`Wrote ${fileName} (${size} bytes, streamed): ${written.status}`);

// 4. Write a small JSON document from memory.
const receipt = {
  example: "node",
  runtime: `node ${process.version}`,
  file: fileName,
  bytes: size,
  status: written.status,
  writtenAt: new Date().toISOString(),
};
const json = new TextEncoder().encode(JSON.stringify(receipt));
const wroteJson = await sdk.write({
  contractDetails,
  userAccessToken,
  postboxId,
  publicKey,
  data: { fileData: json, fileName: "receipt.json", fileDescriptor: descriptor("application/json") },
});
console.log(`Wrote receipt.json (${json.byteLength} bytes): ${wroteJson.status}`);

// The result, as one line of JSON.
console.log(
  JSON.stringify({
    postboxId,
    files: [
      { fileName, bytes: size, status: written.status },
      { fileName: "receipt.json", bytes: json.byteLength, status: wroteJson.status },
    ],
    receipt,
  }),
);
