import { afterEach, describe, expect, it } from "vitest";
import { errorOf } from "./support/answers.ts";
import { signedInUser } from "./support/browser.ts";
import { bytesOf } from "./support/bytes.ts";
import { digime } from "./support/digime-proxy.ts";
import { emulator } from "./support/emulator-admin.ts";
import { upload, uploadForm } from "./support/posts.ts";
import { expireStoredAccessToken, storedTokens } from "./support/vault-access.ts";

describe("digi.me down or failing", () => {
  afterEach(async () => {
    await digime("up");
    await emulator.clearFaults();
  });

  it("down: 502 DIGIME_OUTCOME_UNKNOWN (not sent again), the stored tokens stay, the next upload works", async () => {
    const { browser, userId, postboxId, before } = await signedInUser();
    await digime("down");
    const failed = await errorOf(await upload(browser, uploadForm(bytesOf(1000))));
    // In workerd the body is piped into a FixedLengthStream before the request goes out, so
    // sdk-core cannot tell a refused connection from a lost answer: the outcome is unknown, and the
    // Worker does not send the file again by itself.
    expect(failed).toMatchObject({ status: 502, code: "DIGIME_OUTCOME_UNKNOWN", retryAfter: null });
    expect(failed.message).toMatch(/may be stored/);
    expect(await storedTokens(userId)).toEqual(before);

    await digime("up");
    expect((await upload(browser, uploadForm(bytesOf(1000)))).status).toBe(200);
    expect(await emulator.files(postboxId)).toHaveLength(1);
  });

  it("down while the token needs a refresh: 503, the refresh token is kept, and it works once back", async () => {
    const { browser, userId, postboxId } = await signedInUser();
    await expireStoredAccessToken(userId);
    const expired = await storedTokens(userId);
    await digime("down");
    const failed = await errorOf(await upload(browser, uploadForm(bytesOf(1000))));
    expect(failed).toMatchObject({ status: 503, code: "DIGIME_UNREACHABLE" });
    expect(await storedTokens(userId)).toEqual(expired);

    await digime("up");
    expect((await upload(browser, uploadForm(bytesOf(1000)))).status).toBe(200);
    expect((await emulator.stats()).refreshes).toBe(1);
    expect(await emulator.files(postboxId)).toHaveLength(1);
  });

  it("failing writes (500): 502 DIGIME_ERROR with digi.me's code, tokens intact, then it works", async () => {
    const { browser, userId, before } = await signedInUser();
    await emulator.fault({ route: "postbox", failNext: 1, statuses: [500] });
    const failed = await errorOf(await upload(browser, uploadForm(bytesOf(1000))));
    expect(failed).toMatchObject({ status: 502, code: "DIGIME_ERROR", upstream: "InternalServerError" });
    expect(await storedTokens(userId)).toEqual(before);
    expect((await upload(browser, uploadForm(bytesOf(1000)))).status).toBe(200);
  });

  it("digi.me asks for a longer wait than the Worker holds a request: passed on at once, once", async () => {
    const { browser, userId, before } = await signedInUser();
    await emulator.fault({ route: "postbox", failNext: 1, statuses: [503], retryAfterSeconds: 30 });
    const posts = async () => (await emulator.stats()).requests.postbox;
    const postsBefore = await posts();
    expect(await errorOf(await upload(browser, uploadForm(bytesOf(1000))))).toMatchObject({
      status: 503,
      code: "DIGIME_UNAVAILABLE",
      retryAfter: "30",
    });
    // One attempt: sdk-core neither waited 30 s inside the request nor retried early.
    expect((await posts()) - postsBefore).toBe(1);
    expect(await storedTokens(userId)).toEqual(before);
    expect((await upload(browser, uploadForm(bytesOf(1000)))).status).toBe(200);
  });

  it("overloaded (503 from digi.me): 503 DIGIME_UNAVAILABLE with Retry-After", async () => {
    const { browser } = await signedInUser();
    await emulator.fault({ route: "postbox", failNext: 3, statuses: [503] });
    expect(await errorOf(await upload(browser, uploadForm(bytesOf(1000))))).toMatchObject({
      status: 503,
      code: "DIGIME_UNAVAILABLE",
      retryAfter: "5",
    });
  });

  it("failing refreshes: 502, the stored pair is kept, the next upload refreshes once", async () => {
    const { browser, userId } = await signedInUser();
    await expireStoredAccessToken(userId);
    const expired = await storedTokens(userId);
    await emulator.fault({ route: "token", failNext: 1, statuses: [500] });
    expect(await errorOf(await upload(browser, uploadForm(bytesOf(1000))))).toMatchObject({
      status: 502,
      code: "DIGIME_ERROR",
    });
    expect(await storedTokens(userId)).toEqual(expired);
    expect((await upload(browser, uploadForm(bytesOf(1000)))).status).toBe(200);
    expect((await emulator.stats()).refreshes).toBe(1);
  });

  it("a connection cut in the middle of a streamed upload: 502 outcome unknown, nothing delivered, then it works", async () => {
    const { browser, userId, postboxId, before } = await signedInUser();
    await emulator.fault({ route: "postbox", dropNext: 1, dropAfterBytes: 256 * 1024 });
    const failed = await errorOf(await upload(browser, uploadForm(bytesOf(2 * 1024 * 1024))));
    expect(failed).toMatchObject({ status: 502, code: "DIGIME_OUTCOME_UNKNOWN" });
    expect(await emulator.files(postboxId)).toEqual([]);
    expect(await storedTokens(userId)).toEqual(before);
    expect((await upload(browser, uploadForm(bytesOf(2 * 1024 * 1024)))).status).toBe(200);
  });
});
