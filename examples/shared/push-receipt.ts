/**
 * The end of every pushData example, the same in Node, Deno and Bun: push a small JSON document
 * from memory, list the user's accounts with `readAccounts` (the one the sign-in named must be
 * among them), and print the result as one line of JSON.
 */
import { exampleDescriptor } from "./descriptor.ts";
import type { ExampleContract } from "./sign-in.ts";

/** The part of sdk-core's client used here (so this file imports nothing of it). */
export interface PushClient<Token> {
  pushData(options: {
    type: "library";
    contractDetails: ExampleContract;
    userAccessToken: Token;
    data: { fileData: Uint8Array; fileDescriptor: ReturnType<typeof exampleDescriptor> };
  }): Promise<{ userAccessToken: Token }>;
  readAccounts(options: {
    contractDetails: ExampleContract;
    userAccessToken: Token;
  }): Promise<{ accounts: { id: string; reference: string; type: string }[]; userAccessToken: Token }>;
}

/** What the script did before: who it is, and the file it pushed. */
export interface PushedFile<Token> {
  contractDetails: ExampleContract;
  /** The token that last worked. */
  userAccessToken: Token;
  /** The redirect's `accountReference`. */
  accountReference: string;
  /** `node`, `deno` or `bun`. */
  runtime: string;
  /** The runtime and its version, e.g. `deno 2.5.0`. */
  runtimeVersion: string;
  /** The file's name, its size, and the bytes the last progress report counted. */
  file: { fileName: string; bytes: number; sent: number };
}

/**
 * Pushes the receipt, reads the accounts and prints the result.
 *
 * @param sdk - sdk-core's client.
 * @param pushed - What the script pushed before.
 * @returns The token that last worked.
 * @throws Error when no account has the sign-in's `accountReference`; sdk-core's errors.
 */
export async function pushReceiptAndListAccounts<Token>(
  sdk: PushClient<Token>,
  pushed: PushedFile<Token>,
): Promise<Token> {
  const { contractDetails, accountReference, runtime, file } = pushed;
  const receipt = {
    example: runtime,
    runtime: pushed.runtimeVersion,
    file: file.fileName,
    bytes: file.bytes,
    pushedAt: new Date().toISOString(),
  };
  const json = new TextEncoder().encode(JSON.stringify(receipt));
  let { userAccessToken } = await sdk.pushData({
    type: "library",
    contractDetails,
    userAccessToken: pushed.userAccessToken,
    data: { fileData: json, fileDescriptor: exampleDescriptor(runtime, "application/json", "receipt.json") },
  });
  console.log(`Pushed receipt.json (${json.byteLength} bytes)`);

  const listed = await sdk.readAccounts({ contractDetails, userAccessToken });
  userAccessToken = listed.userAccessToken;
  for (const { id, type, reference } of listed.accounts) console.log(`Account ${id}: ${type} (${reference})`);
  if (!listed.accounts.some((account) => account.reference === accountReference)) {
    throw new Error(`no account has the reference ${accountReference}`);
  }

  console.log(
    JSON.stringify({
      accountReference,
      accounts: listed.accounts.map(({ id, reference, type }) => ({ id, reference, type })),
      files: [file, { fileName: "receipt.json", bytes: json.byteLength }],
      receipt,
    }),
  );
  return userAccessToken;
}
