/**
 * The end of every write example, the same in Node, Deno and Bun: write a small JSON document from
 * memory to the postbox, and print the result as one line of JSON.
 */
import { exampleDescriptor } from "./descriptor.ts";
import type { ExampleContract } from "./sign-in.ts";

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

/** What the script did before: who it is, where it writes, and the file it wrote. */
export interface WrittenFile<Token> {
  contractDetails: ExampleContract;
  /** The token that last worked. */
  userAccessToken: Token;
  /** The redirect's `postboxId` and `publicKey`. */
  postboxId: string;
  publicKey: string;
  /** `node`, `deno` or `bun`. */
  runtime: string;
  /** The runtime and its version, e.g. `deno 2.5.0`. */
  runtimeVersion: string;
  /** The file's name, its size, and what the write returned as its status. */
  file: { fileName: string; bytes: number; status: string };
}

/**
 * Writes the receipt and prints the result.
 *
 * @param sdk - sdk-core's client.
 * @param written - What the script wrote before.
 * @returns The token that last worked.
 * @throws sdk-core's errors.
 */
export async function writeReceipt<Token>(
  sdk: WriteClient<Token>,
  written: WrittenFile<Token>,
): Promise<Token> {
  const { contractDetails, postboxId, publicKey, runtime, file } = written;
  const receipt = {
    example: runtime,
    runtime: written.runtimeVersion,
    file: file.fileName,
    bytes: file.bytes,
    status: file.status,
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
      fileDescriptor: exampleDescriptor(runtime, "application/json"),
    },
  });
  console.log(`Wrote receipt.json (${json.byteLength} bytes): ${wroteJson.status}`);

  console.log(
    JSON.stringify({
      postboxId,
      files: [file, { fileName: "receipt.json", bytes: json.byteLength, status: wroteJson.status }],
      receipt,
    }),
  );
  return wroteJson.userAccessToken;
}
