/**
 * Write to a digi.me library from Deno with @digime-edge/sdk-core: authorize, exchange the code,
 * write a file from disk as a stream, then a small JSON document.
 *
 *   deno run --allow-net=127.0.0.1 --allow-read --allow-env --node-modules-dir=manual main.ts [file]
 *
 * `@digime-edge/sdk-core` is the npm package, resolved by name from node_modules (package.json).
 * Outside this workspace, `deno add npm:@digime-edge/sdk-core` does the same.
 *
 * Against the local emulator, started with consent given at once:
 *   node packages/emulator/dist/cli.js --port 8788 --auto-approve --redirect-uri http://127.0.0.1:8787/auth/callback
 *
 * Settings: the environment, read in runtime.ts; the defaults are the emulator's dev contract.
 * For an import contract (official SDK 9 on), see push-data.ts.
 */
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

// 2. Write the file as a stream: `Deno.open(...).readable` is a ReadableStream of bytes, encrypted
//    as it flows; the file is never held whole in memory. The stream closes the file at its end.
const fileName = fileNameOf(path);
const file = await Deno.open(path, { read: true });
const { size } = await file.stat();
const written = await sdk.write({
  ...user, // contractDetails, userAccessToken, postboxId, publicKey
  data: {
    fileData: file.readable,
    fileName,
    fileDescriptor: exampleDescriptor(runtime.name, "application/octet-stream"),
  },
});
printWritten(fileName, size, written.status, true);

// 3. A JSON document from memory, with `written.userAccessToken`: the token that last worked
//    (refreshed if it had to be), to keep. Last, the result as one line of JSON.
await writeReceipt(sdk, runtime, user, { fileName, bytes: size, written });
