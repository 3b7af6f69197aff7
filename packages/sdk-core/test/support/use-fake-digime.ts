/** The setup most test files share: one {@link FakeDigime} per file, and an sdk-core pointed at it. */
import { afterAll, beforeAll, beforeEach } from "vitest";
import { type FileDescriptor, init, type SealedFile, seal } from "../../src/index.ts";
import { APPLICATION_ID, contractDetails, FakeDigime, POSTBOX_PUBLIC_KEY } from "./fake-digime.ts";

/**
 * One {@link FakeDigime} for the file's tests: it listens before them and closes after them; unless
 * `reset` is false, it forgets the requests and files it saw before each test. Call at the top level.
 *
 * @returns The fake (its `baseUrl` is known once the tests run).
 */
export function useFakeDigime({ reset = true } = {}): FakeDigime {
  const fake = new FakeDigime();
  beforeAll(() => fake.listen());
  afterAll(() => fake.close());
  if (reset) {
    beforeEach(() => {
      fake.requests.length = 0;
      fake.files.length = 0;
      fake.imports.length = 0;
      fake.resources.length = 0;
    });
  }
  return fake;
}

/**
 * sdk-core's `init` for `fake`, with 1 ms between retries unless `extra` says otherwise.
 *
 * @param fake - The fake digi.me to talk to (only its `baseUrl` is read).
 * @param extra - More of the configuration.
 */
export const sdkFor = (fake: Pick<FakeDigime, "baseUrl">, extra: Record<string, unknown> = {}) =>
  init({ applicationId: APPLICATION_ID, baseUrl: fake.baseUrl, retry: { baseDelayMs: 1 }, ...extra });

/**
 * Options of a `write` to `fake`'s postbox with a fresh token, for any `fileData` (wrong kinds
 * included, hence the loose type).
 *
 * @param fake - The fake digi.me that issues the token.
 * @param fileData - What to write.
 * @param fileDescriptor - The descriptor to seal with it.
 * @param extra - More options, overriding the defaults.
 */
export function writeOptionsFor(
  fake: FakeDigime,
  fileData: unknown,
  fileDescriptor: FileDescriptor,
  extra: Record<string, unknown> = {},
) {
  return {
    contractDetails,
    userAccessToken: fake.issueTokens(),
    postboxId: "postbox-1",
    publicKey: POSTBOX_PUBLIC_KEY,
    data: { fileData, fileName: "file.bin", fileDescriptor },
    ...extra,
    // biome-ignore lint/suspicious/noExplicitAny: fileData of every kind, including wrong ones.
  } as any;
}

/**
 * `seal` for the fake's postbox key, as a `sendSealed` test prepares its file.
 *
 * @param fileData - What to seal.
 * @param fileDescriptor - The descriptor to seal with it.
 */
export const sealForPostbox = (
  fileData: Parameters<typeof seal>[0]["fileData"],
  fileDescriptor: FileDescriptor,
): Promise<SealedFile> => seal({ publicKey: POSTBOX_PUBLIC_KEY, fileData, fileDescriptor });
