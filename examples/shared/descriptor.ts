/** The file descriptor the example scripts send (sdk-core's `FileDescriptor`). */

/**
 * Describes a file an example sends: its type, the one account it is filed under, tags naming the
 * example (so that the library shows where it came from) and, when given, a reference.
 *
 * @param runtime - `node`, `deno` or `bun`.
 * @param mimeType - The file's media type.
 * @param reference - Kept with the file; the import API carries no file name, so the push script
 *   puts the name here.
 * @returns The descriptor.
 */
export function exampleDescriptor(runtime: string, mimeType: string, reference?: string) {
  return {
    mimeType,
    accounts: [{ accountId: "example-account" }],
    ...(reference === undefined ? {} : { reference: [reference] }),
    tags: ["example", runtime],
  };
}
