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
 * Settings: the environment (../shared/settings.ts); the defaults are the emulator's dev contract.
 * The file goes to digi.me as it is, over TLS: this API has no envelope (no sealing on the device).
 */
import { init } from "@digime-edge/sdk-core";
import { exampleDescriptor } from "../shared/descriptor.ts";
import { pushReceiptAndListAccounts } from "../shared/push-receipt.ts";
import { exampleSettings, fileArgument } from "../shared/settings.ts";
import { signIn } from "../shared/sign-in.ts";

const settings = await exampleSettings(
  (name) => Deno.env.get(name),
  (file) => Deno.readTextFile(file),
);
const sdk = init(settings.config);
// No `redirectUri`: the sign-in of the official SDK 10 on, whose `callback` is the redirect URI.
const contractDetails = { contractId: settings.contractId, privateKey: settings.privateKey };
const path = fileArgument(Deno.args, new URL(".", import.meta.url));

// 1. Authorize and exchange the code: digi.me answers at the callback with `code` and
//    `accountReference` (one of the accounts `readAccounts` lists).
const signedIn = await signIn(sdk, {
  contractDetails,
  callback: settings.redirectUri,
  state: "deno-push-example",
  returns: ["accountReference"],
});
const { accountReference } = signedIn.values;
console.log(`Authorized: account ${accountReference}`);

// 2. Push the file as a stream: `Deno.open(...).readable` is a ReadableStream of bytes, sent as it
//    is read; the file is never held whole in memory, and the stream closes it at its end. The API
//    carries no file name: it goes in `reference`.
const fileName = path.split(/[\\/]/).at(-1) ?? "file";
const file = await Deno.open(path, { read: true });
const { size } = await file.stat();
let sent = 0;
const { userAccessToken } = await sdk.pushData({
  type: "library",
  contractDetails,
  userAccessToken: signedIn.userAccessToken,
  data: {
    fileData: file.readable,
    fileDescriptor: exampleDescriptor("deno", "application/octet-stream", fileName),
  },
  onProgress: (bytes) => {
    sent = bytes;
  },
});
// That is the token that last worked (refreshed if it had to be): keep it.
console.log(`Pushed ${fileName} (${sent} of ${size} bytes, streamed)`);

// 3. A JSON document from memory, then `readAccounts`; the result as one line of JSON.
await pushReceiptAndListAccounts(sdk, {
  contractDetails,
  userAccessToken,
  accountReference,
  runtime: "deno",
  runtimeVersion: `deno ${Deno.version.deno}`,
  file: { fileName, bytes: size, sent },
});
