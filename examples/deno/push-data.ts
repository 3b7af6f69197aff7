/**
 * Push to a digi.me library from Deno with @digime-edge/sdk-core, as the official SDK does from
 * version 11 on (an **import** contract): sign in, push a file from disk as a stream with
 * `pushData`, then a small JSON document, and list the user's accounts with `readAccounts`.
 *
 *   deno run --allow-net=127.0.0.1 --allow-read --allow-env --node-modules-dir=manual push-data.ts [file]
 *
 * `@digime-edge/sdk-core` is the npm package, resolved by name from node_modules (package.json).
 *
 * Against the local emulator, with an import dev contract and consent given at once:
 *   node packages/emulator/dist/cli.js --port 8788 --auto-approve --write-api import
 *
 * Settings: the environment, read in runtime.ts; the defaults are the emulator's dev contract.
 * The file goes to digi.me as it is, over TLS: this API has no envelope (no sealing on the device).
 */
import { init } from "@digime-edge/sdk-core";
import { exampleDescriptor } from "../shared/descriptor.ts";
import { fileNameOf } from "../shared/file-name.ts";
import { pushReceiptAndListAccounts } from "../shared/push-receipt.ts";
import { signInTo } from "../shared/sign-in.ts";
import { path, runtime, settings } from "./runtime.ts";

const sdk = init(settings.config);

// 1. Authorize and exchange the code (../shared/sign-in.ts; no `redirectUri` in `contractDetails`,
//    the `callback` is the redirect URI): digi.me responds there with `code` and `accountReference`
//    (one of the accounts `readAccounts` lists).
const user = await signInTo(sdk, settings, "import", runtime);

// 2. Push the file as a stream: `Deno.open(...).readable` is a ReadableStream of bytes, sent as it
//    is read; the file is never held whole in memory, and the stream closes it at its end. The API
//    carries no file name: it goes in `reference`.
let sent = 0; // the bytes sent so far, as `onProgress` reports them
const fileName = fileNameOf(path);
const file = await Deno.open(path, { read: true });
const { size } = await file.stat();
const { userAccessToken } = await sdk.pushData({
  type: "library",
  contractDetails: user.contractDetails,
  userAccessToken: user.userAccessToken,
  data: {
    fileData: file.readable,
    fileDescriptor: exampleDescriptor(runtime.name, "application/octet-stream", fileName),
  },
  onProgress: (bytes) => {
    sent = bytes;
  },
});

// 3. A JSON document from memory, with the token `pushData` returned: the one that last worked
//    (refreshed if it had to be), to keep. Then `readAccounts`; the result as one line of JSON.
await pushReceiptAndListAccounts(sdk, runtime, user, { fileName, bytes: size, sent, userAccessToken });
