/**
 * A sealed body of a declared length over `REPLAYABLE_BYTES`: read in 1 MiB chunks within one
 * deadline and piped on to digi.me by workerd (sdk-core's `pipeNatively`). It arrives byte for
 * byte; one byte block more or less than its `Content-Length` is refused before the multipart's
 * end, so nothing is stored.
 */
import { describe, expect, it, vi } from "vitest";
import { REPLAYABLE_BYTES } from "../src/lib/upload.ts";
import { errorOf } from "./support/answers.ts";
import { signedInUser } from "./support/browser.ts";
import { bytesOf, sha256, streamOf } from "./support/bytes.ts";
import { emulator } from "./support/emulator-admin.ts";
import { sealFor, uploadSealedParts } from "./support/sealed-uploads.ts";

const MiB = 1024 * 1024;

describe("a sealed body of a declared length over 1 MiB", () => {
  it("arrives byte for byte, in several 1 MiB chunks and a last partial one", async () => {
    const { browser, postboxId } = await signedInUser();
    const file = bytesOf(3 * MiB + 12_345, 21);
    const sealed = await sealFor(browser, file);
    const body = sealed.body as Uint8Array<ArrayBuffer>;
    expect(body.length).toBeGreaterThan(REPLAYABLE_BYTES);
    const answer = await uploadSealedParts(browser, { ...sealed, body });
    expect(answer.status, await answer.clone().text()).toBe(200);
    expect(await answer.json()).toMatchObject({ status: "delivered", bytes: body.length });
    const [stored, ...others] = await emulator.files(postboxId);
    expect(others).toEqual([]);
    expect(stored?.sha256).toBe(await sha256(file));
  });

  it("one block longer or shorter than its Content-Length: 400 BAD_SEALED_BODY, the digi.me request aborted, nothing stored", async () => {
    const { browser, postboxId } = await signedInUser();
    const sealed = await sealFor(browser, bytesOf(2 * MiB, 22));
    const body = sealed.body as Uint8Array<ArrayBuffer>;
    await emulator.resetStats();
    const longer = new Uint8Array(body.length + 16);
    longer.set(body);
    for (const [what, sent] of [
      ["longer", longer],
      ["shorter", body.subarray(0, body.length - 16)],
    ] as const) {
      const answer = await uploadSealedParts(
        browser,
        { ...sealed, body: streamOf(sent) },
        { overrides: { "Content-Length": String(body.length) } },
      );
      const error = await errorOf(answer);
      expect(error, what).toMatchObject({ status: 400, code: "BAD_SEALED_BODY" });
      expect(error.message, what).toContain(`${what} than its Content-Length`);
    }
    // Both were streamed on before their end was known, and aborted: the emulator may count the
    // second request a moment after the Worker answered.
    await vi.waitFor(async () => expect((await emulator.stats()).requests.postbox).toBe(2), {
      timeout: 10_000,
    });
    expect((await emulator.stats()).writes).toBe(0);
    expect(await emulator.files(postboxId)).toEqual([]);
  });
});
