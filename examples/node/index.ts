/**
 * Write to a digi.me library from Node with @digime-edge/sdk-core: authorize, exchange the code,
 * write a file from disk as a stream, then a small JSON document.
 *
 *   node index.ts [file]          (Node 22.18+ runs TypeScript as is)
 *
 * Against the local emulator, started with consent given at once:
 *   node packages/emulator/dist/cli.js --port 8788 --auto-approve --redirect-uri http://127.0.0.1:8787/auth/callback
 *
 * Settings: the environment (../shared/settings.ts); the defaults are the emulator's dev contract.
 * For an import contract (official SDK 9 on), see push-data.ts.
 */
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename } from "node:path";
import { init } from "@digime-edge/sdk-core";
import { exampleDescriptor } from "../shared/descriptor.ts";
import { exampleSettings, fileArgument } from "../shared/settings.ts";
import { signIn } from "../shared/sign-in.ts";
import { writeReceipt } from "../shared/write-receipt.ts";

const settings = await exampleSettings(
  (name) => process.env[name],
  (file) => readFile(file, "utf8"),
);
const sdk = init(settings.config);
// With `redirectUri`: the postbox sign-in (official SDK up to 8).
const contractDetails = {
  contractId: settings.contractId,
  privateKey: settings.privateKey,
  redirectUri: settings.redirectUri,
};
const path = fileArgument(process.argv.slice(2), new URL(".", import.meta.url));

// 1. Authorize and exchange the code: digi.me answers at the redirect URI with `code`,
//    `postboxId` and `publicKey` (the postbox's key that seals each file).
const signedIn = await signIn(sdk, {
  contractDetails,
  callback: settings.redirectUri,
  state: "node-example",
  returns: ["postboxId", "publicKey"],
});
const { userAccessToken } = signedIn;
const { postboxId, publicKey } = signedIn.values;
console.log(`Authorized: postbox ${postboxId}`);

// 2. Write the file as a stream: a Node Readable is an async iterable of bytes, encrypted as it
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
    fileDescriptor: exampleDescriptor("node", "application/octet-stream"),
  },
});
// `written.userAccessToken` is the token that last worked (refreshed if it had to be): keep it.
console.log(`Wrote ${fileName} (${size} bytes, streamed): ${written.status}`);

// 3. A JSON document from memory; the result as one line of JSON.
await writeReceipt(sdk, {
  contractDetails,
  userAccessToken: written.userAccessToken,
  postboxId,
  publicKey,
  runtime: "node",
  runtimeVersion: `node ${process.version}`,
  file: { fileName, bytes: size, status: written.status },
});
