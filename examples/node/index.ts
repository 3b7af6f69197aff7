/**
 * Write to a digi.me library from Node with @digime-edge/sdk-core: authorize, exchange the code,
 * write a file from disk as a stream, then a small JSON document.
 *
 *   node index.ts [file]          (Node 22.18+ runs TypeScript as is)
 *
 * Against the local emulator, started with consent given at once:
 *   node packages/emulator/dist/cli.js --port 8788 --auto-approve --redirect-uri http://127.0.0.1:8787/auth/callback
 *
 * Settings: the environment, read in runtime.ts; the defaults are the emulator's dev contract.
 * For an import contract (official SDK 9 on), see push-data.ts.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { init } from "@digime-edge/sdk-core";
import { exampleDescriptor } from "../shared/descriptor.ts";
import { fileNameOf } from "../shared/file-name.ts";
import { signInTo } from "../shared/sign-in.ts";
import { printWritten, writeReceipt } from "../shared/write-receipt.ts";
import { path, runtime, settings } from "./runtime.ts";

const sdk = init(settings.config);

// 1. Authorize and exchange the code (../shared/sign-in.ts): digi.me responds at the redirect URI
//    with `code`, `postboxId` and `publicKey` (the postbox's key that seals each file).
const user = await signInTo(sdk, settings, "postbox", runtime);

// 2. Write the file as a stream: a Node Readable is an async iterable of bytes, encrypted as it
//    flows; the file is never held whole in memory.
const fileName = fileNameOf(path);
const { size } = await stat(path);
const written = await sdk.write({
  ...user, // contractDetails, userAccessToken, postboxId, publicKey
  data: {
    fileData: createReadStream(path),
    fileName,
    fileDescriptor: exampleDescriptor(runtime.name, "application/octet-stream"),
  },
});
printWritten(fileName, size, written.status, true);

// 3. A JSON document from memory, with `written.userAccessToken`: the token that last worked
//    (refreshed if it had to be), to keep. Last, the result as one line of JSON.
await writeReceipt(sdk, runtime, user, { fileName, bytes: size, written });
