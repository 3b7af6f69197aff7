/**
 * The end of every pushData example, the same in Node, Deno and Bun: push a small JSON document
 * from memory, list the user's accounts with `readAccounts` (the one the sign-in named must be
 * among them), and print the result as one line of JSON.
 */
import { exampleDescriptor } from "./descriptor.ts";
import type { ExampleRuntime } from "./settings.ts";
import type { ExampleContract, SignedInUser } from "./sign-in.ts";

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

/** The file the script pushed before: its name, its size, and the last progress report. */
export interface PushedFile<Token> {
  fileName: string;
  bytes: number;
  /** The bytes the last progress report counted. */
  sent: number;
  /** The token that last worked (`pushData` returned it, refreshed if it had to be). */
  userAccessToken: Token;
}

/**
 * Prints what the script pushed; pushes the receipt, with the token that last worked; reads the
 * accounts and prints the result.
 *
 * @param sdk - sdk-core's client.
 * @param runtime - The script's runtime.
 * @param user - The signed-in user (its token is replaced by the one the file's push returned).
 * @param file - The file the script pushed before.
 * @returns The token that last worked.
 * @throws Error when no account has the sign-in's `accountReference`; sdk-core's errors.
 */
export async function pushReceiptAndListAccounts<Token>(
  sdk: PushClient<Token>,
  runtime: ExampleRuntime,
  user: SignedInUser<Token, "import">,
  { fileName, bytes, sent, userAccessToken: token }: PushedFile<Token>,
): Promise<Token> {
  const { contractDetails, accountReference } = user;
  console.log(`Pushed ${fileName} (${sent} of ${bytes} bytes, streamed)`);
  const receipt = {
    example: runtime.name,
    runtime: runtime.version,
    file: fileName,
    bytes,
    pushedAt: new Date().toISOString(),
  };
  const json = new TextEncoder().encode(JSON.stringify(receipt));
  let { userAccessToken } = await sdk.pushData({
    type: "library",
    contractDetails,
    userAccessToken: token,
    data: {
      fileData: json,
      fileDescriptor: exampleDescriptor(runtime.name, "application/json", "receipt.json"),
    },
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
      files: [
        { fileName, bytes, sent },
        { fileName: "receipt.json", bytes: json.byteLength },
      ],
      receipt,
    }),
  );
  return userAccessToken;
}
