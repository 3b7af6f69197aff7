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
 * Settings: the environment (../shared/settings.ts); the defaults are the emulator's dev contract.
 * For an import contract (official SDK 9 on), see push-data.ts.
 */
import { init } from "@digime-edge/sdk-core";
import { exampleDescriptor } from "../shared/descriptor.ts";
import { exampleSettings, fileArgument } from "../shared/settings.ts";
import { signIn } from "../shared/sign-in.ts";
import { writeReceipt } from "../shared/write-receipt.ts";

const settings = await exampleSettings(
  (name) => Deno.env.get(name),
  (file) => Deno.readTextFile(file),
);
const sdk = init(settings.config);
// With `redirectUri`: the postbox sign-in (official SDK up to 8).
const contractDetails = {
  contractId: settings.contractId,
  privateKey: settings.privateKey,
  redirectUri: settings.redirectUri,
};
const path = fileArgument(Deno.args, new URL(".", import.meta.url));

// 1. Authorize and exchange the code: digi.me answers at the redirect URI with `code`,
//    `postboxId` and `publicKey` (the postbox's key that seals each file).
const signedIn = await signIn(sdk, {
  contractDetails,
  callback: settings.redirectUri,
  state: "deno-example",
  returns: ["postboxId", "publicKey"],
});
const { userAccessToken } = signedIn;
const { postboxId, publicKey } = signedIn.values;
console.log(`Authorized: postbox ${postboxId}`);

// 2. Write the file as a stream: `Deno.open(...).readable` is a ReadableStream of bytes, encrypted
//    as it flows; the file is never held whole in memory. The stream closes the file at its end.
const fileName = path.split(/[\\/]/).at(-1) ?? "file";
const file = await Deno.open(path, { read: true });
const { size } = await file.stat();
const written = await sdk.write({
  contractDetails,
  userAccessToken,
  postboxId,
  publicKey,
  data: {
    fileData: file.readable,
    fileName,
    fileDescriptor: exampleDescriptor("deno", "application/octet-stream"),
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
  runtime: "deno",
  runtimeVersion: `deno ${Deno.version.deno}`,
  file: { fileName, bytes: size, status: written.status },
});
