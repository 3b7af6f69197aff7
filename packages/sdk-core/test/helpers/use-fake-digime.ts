/** The setup most test files share: one {@link FakeDigime} per file, and an sdk-core pointed at it. */
import { afterAll, beforeAll, beforeEach } from "vitest";
import { init } from "../../src/index.js";
import { APPLICATION_ID, FakeDigime } from "./fake-digime.js";

/**
 * Starts a {@link FakeDigime} before the file's tests and closes it after them; unless `reset` is
 * false, forgets the requests and files it saw before each test.
 *
 * @param ready - Takes the started fake (assign it to the file's variable).
 */
export function useFakeDigime(ready: (fake: FakeDigime) => void, { reset = true } = {}): void {
  let fake: FakeDigime | undefined;
  beforeAll(async () => {
    fake = await FakeDigime.start();
    ready(fake);
  });
  afterAll(() => fake?.close());
  if (reset) {
    beforeEach(() => {
      if (!fake) return;
      fake.requests.length = 0;
      fake.files.length = 0;
    });
  }
}

/**
 * sdk-core's `init` for `fake`, with 1 ms between retries unless `extra` says otherwise.
 *
 * @param fake - The fake digi.me to talk to.
 * @param extra - More of the configuration.
 */
export const sdkFor = (fake: FakeDigime, extra: Record<string, unknown> = {}) =>
  init({ applicationId: APPLICATION_ID, baseUrl: fake.baseUrl, retry: { baseDelayMs: 1 }, ...extra });
