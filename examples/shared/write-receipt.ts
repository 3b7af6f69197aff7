/**
 * The end of every write example, the same in Node, Deno and Bun: write a small JSON document from
 * memory to the postbox, and print the result as one line of JSON.
 */
import { exampleDescriptor } from "./descriptor.ts";
import type { ExampleRuntime } from "./settings.ts";
import type { ExampleContract, SignedInUser } from "./sign-in.ts";

/** The part of sdk-core's client used here (so this file imports nothing of it). */
export interface WriteClient<Token> {
  write(options: {
    contractDetails: ExampleContract;
    userAccessToken: Token;
    postboxId: string;
    publicKey: string;
    data: { fileData: Uint8Array; fileName: string; fileDescriptor: ReturnType<typeof exampleDescriptor> };
  }): Promise<{ status: string; userAccessToken: Token }>;
}

/** The file the script wrote before: its name, its size, and what `write` returned. */
export interface WrittenFile<Token> {
  fileName: string;
  bytes: number;
  /** `write`'s result: the status, and the token that last worked (refreshed if it had to be). */
  written: { status: string; userAccessToken: Token };
}

/**
 * Prints the line that says a file was written: its name, its size and the status `write` returned.
 *
 * @param fileName - The file's name.
 * @param bytes - The file's size in bytes.
 * @param status - `write`'s status.
 * @param streamed - Whether the file was sent as a stream (said in the line).
 */
export function printWritten(fileName: string, bytes: number, status: string, streamed = false): void {
  console.log(`Wrote ${fileName} (${bytes} bytes${streamed ? ", streamed" : ""}): ${status}`);
}

/**
 * Writes the receipt, with the token that last worked, and prints the result.
 *
 * @param sdk - sdk-core's client.
 * @param runtime - The script's runtime.
 * @param user - The signed-in user (its token is replaced by the one the file's write returned).
 * @param file - The file the script wrote before.
 * @returns The token that last worked.
 * @throws sdk-core's errors.
 */
export async function writeReceipt<Token>(
  sdk: WriteClient<Token>,
  runtime: ExampleRuntime,
  user: SignedInUser<Token, "postbox">,
  { fileName, bytes, written }: WrittenFile<Token>,
): Promise<Token> {
  const { contractDetails, postboxId, publicKey } = user;
  const receipt = {
    example: runtime.name,
    runtime: runtime.version,
    file: fileName,
    bytes,
    status: written.status,
    writtenAt: new Date().toISOString(),
  };
  const json = new TextEncoder().encode(JSON.stringify(receipt));
  const wroteJson = await sdk.write({
    contractDetails,
    userAccessToken: written.userAccessToken,
    postboxId,
    publicKey,
    data: {
      fileData: json,
      fileName: "receipt.json",
      fileDescriptor: exampleDescriptor(runtime.name, "application/json"),
    },
  });
  printWritten("receipt.json", json.byteLength, wroteJson.status);

  const files = [
    { fileName, bytes, status: written.status },
    { fileName: "receipt.json", bytes: json.byteLength, status: wroteJson.status },
  ];
  console.log(JSON.stringify({ postboxId, files, receipt }));
  return wroteJson.userAccessToken;
}
