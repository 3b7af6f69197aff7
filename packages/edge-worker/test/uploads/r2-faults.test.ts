/**
 * Resumable uploads with R2 failing in the middle (a part, a tail, the completion, a read during
 * the delivery, the deletion after it): the client gets 503 `STAGING_UNAVAILABLE` with
 * `Retry-After`, HEAD gives an offset whose bytes are all staged, the upload resumes and is
 * delivered exactly once, byte for byte, and nothing stays staged.
 */
import { describe, expect, it } from "vitest";
import { STAGING_PART_BYTES } from "../../src/lib/tus/upload-types.ts";
import { type Browser, signedInUser } from "../support/browser.ts";
import { bytesOf, sha256 } from "../support/bytes.ts";
import { emulator } from "../support/emulator-admin.ts";
import { expectStagingUnavailable, failingBucket } from "../support/failing-bucket.ts";
import { publicKeyOf, sealInNode } from "../support/sealed-uploads.ts";
import { create, head, patch, stagedKeys, tusHeaders } from "../support/tus-requests.ts";

const SIZE = 3 * STAGING_PART_BYTES + 4321;

/** Sends the rest of `file` from HEAD's offset (through the real bucket); returns the last PATCH's response. */
async function resume(browser: Browser, location: string, file: Uint8Array): Promise<Response> {
  const { status, offset } = await head(browser, location);
  expect(status).toBe(200);
  return patch(browser, location, offset, file.subarray(offset));
}

/** A failure `failingBucket().fail` is told to make. */
type Fault = Parameters<ReturnType<typeof failingBucket>["fail"]>;

/**
 * Signs a user in, creates a resumable upload of `size` bytes (`bytesOf(size, seed)`) and sends it
 * whole in one PATCH through a staging bucket that fails as `faults` say; returns that PATCH's response.
 */
async function patchWithFaults(size: number, seed: number, ...faults: Fault[]) {
  const { browser, postboxId } = await signedInUser();
  const file = bytesOf(size, seed);
  const location = (await create(browser, size)).headers.get("Location") as string;
  const r2 = failingBucket();
  for (const fault of faults) r2.fail(...fault);
  const response = await patch(browser, location, 0, file, { init: { env: r2.env } });
  return { browser, postboxId, file, location, r2, response };
}

/** Expects one delivered copy of `file` in the postbox and nothing staged for the upload. */
async function expectDeliveredOnce(postboxId: string, location: string, file: Uint8Array<ArrayBuffer>) {
  const files = await emulator.files(postboxId);
  expect(files).toHaveLength(1);
  expect(files[0]?.sha256).toBe(await sha256(file));
  expect(await stagedKeys(location)).toEqual([]);
}

describe("R2 failing in the middle of a resumable upload", () => {
  it("a part fails mid-PATCH: 503, HEAD past the staged bytes only, resumed, delivered once", async () => {
    const { browser, postboxId, file, location, r2, response } = await patchWithFaults(SIZE, 21, [
      "uploadPart",
      { skip: 1 },
    ]);
    await expectStagingUnavailable(response);
    expect(r2.failed).toEqual(["uploadPart"]);
    // One part staged; the second part's bytes, which R2 did not take, were kept as the tail.
    expect(await head(browser, location)).toEqual({ status: 200, offset: 2 * STAGING_PART_BYTES });
    const last = await resume(browser, location, file);
    expect(last.status, await last.clone().text()).toBe(200);
    expect(await last.json()).toMatchObject({ status: "delivered", bytes: SIZE });
    await expectDeliveredOnce(postboxId, location, file);
  });

  it("R2 down for a whole PATCH (parts and tail): 503, the offset stays where it was", async () => {
    const { browser, postboxId } = await signedInUser();
    const file = bytesOf(SIZE, 22);
    const location = (await create(browser, SIZE)).headers.get("Location") as string;
    const first = STAGING_PART_BYTES + 1000;
    expect((await patch(browser, location, 0, file.subarray(0, first))).status).toBe(204);
    const r2 = failingBucket();
    r2.fail("uploadPart", { times: 10 });
    r2.fail("put", { times: 10 });
    r2.fail("get", { times: 10 });
    const down = await patch(browser, location, first, file.subarray(first), { init: { env: r2.env } });
    await expectStagingUnavailable(down);
    // The tail could not even be read: nothing of this PATCH was taken.
    expect(r2.failed).toEqual(["get"]);
    expect(await head(browser, location)).toEqual({ status: 200, offset: first });
    const r2b = failingBucket();
    r2b.fail("uploadPart", { times: 10 });
    r2b.fail("put", { times: 10 });
    await expectStagingUnavailable(
      await patch(browser, location, first, file.subarray(first), { init: { env: r2b.env } }),
    );
    expect(r2b.failed).toEqual(["uploadPart", "put"]);
    expect(await head(browser, location)).toEqual({ status: 200, offset: first });
    const last = await resume(browser, location, file);
    expect(last.status, await last.clone().text()).toBe(200);
    await expectDeliveredOnce(postboxId, location, file);
  });

  it("the completion fails: 503, HEAD short of the length, the last bytes again deliver once", async () => {
    const { browser, postboxId, file, location, r2, response } = await patchWithFaults(SIZE, 23, [
      "complete",
    ]);
    await expectStagingUnavailable(response);
    expect(r2.failed).toEqual(["complete"]);
    expect(await emulator.files(postboxId)).toHaveLength(0);
    // The part that ends the upload is not recorded: a tus client sends it again.
    const at = await head(browser, location);
    expect(at).toEqual({ status: 200, offset: 3 * STAGING_PART_BYTES });
    const last = await resume(browser, location, file);
    expect(last.status, await last.clone().text()).toBe(200);
    expect(await last.json()).toMatchObject({ status: "delivered", bytes: SIZE });
    await expectDeliveredOnce(postboxId, location, file);
  });

  it("a completion R2 made but reported as failed counts as made: delivered in that PATCH", async () => {
    const {
      postboxId,
      file,
      location,
      r2,
      response: last,
    } = await patchWithFaults(STAGING_PART_BYTES + 99, 24, ["complete", { how: "made" }]);
    expect(last.status, await last.clone().text()).toBe(200);
    expect(r2.failed).toEqual(["complete"]);
    await expectDeliveredOnce(postboxId, location, file);
  });

  it("a staged read fails mid-delivery (plain): 503, nothing stored, an empty PATCH delivers once", async () => {
    // The second part's read: the send has begun and is aborted.
    const { browser, postboxId, file, location, r2, response } = await patchWithFaults(SIZE, 25, [
      "get",
      { skip: 1 },
    ]);
    await expectStagingUnavailable(response);
    expect(r2.failed).toEqual(["get"]);
    expect(await emulator.files(postboxId)).toHaveLength(0);
    const state = await browser.fetch(location, { method: "HEAD", headers: tusHeaders() });
    expect(state.headers.get("X-Digime-Upload-State")).toBe("complete");
    expect(state.headers.get("Upload-Offset")).toBe(String(SIZE));
    const again = await patch(browser, location, SIZE, new Uint8Array(0));
    expect(again.status, await again.clone().text()).toBe(200);
    expect(await again.json()).toMatchObject({ status: "delivered", bytes: SIZE });
    await expectDeliveredOnce(postboxId, location, file);
  });

  for (const [skip, how] of [
    [0, "throw"],
    [1, "midway"],
  ] as const) {
    it(`the sealed object's read ${skip ? "fails mid-way" : "fails"} (${how}): 503, nothing stored, delivered once after`, async () => {
      const { browser, postboxId, userId } = await signedInUser();
      const file = bytesOf(2 * STAGING_PART_BYTES + 5, 26);
      const sealed = await sealInNode(await publicKeyOf(browser), file, {
        mimeType: "application/octet-stream",
        accounts: [{ accountId: userId }],
      });
      const body = sealed.body as Uint8Array<ArrayBuffer>;
      const { iv, symmetricalKey, metadata } = sealed;
      const created = await create(browser, body.length, { filename: "s.bin", iv, symmetricalKey, metadata });
      const location = created.headers.get("Location") as string;
      const r2 = failingBucket();
      // throw: the first read fails before anything is sent; midway: the second part's read fails
      // in its body, after the send began (it is aborted).
      r2.fail("get", { how, skip });
      await expectStagingUnavailable(await patch(browser, location, 0, body, { init: { env: r2.env } }));
      expect(r2.failed).toEqual(["get"]);
      expect(await emulator.files(postboxId)).toHaveLength(0);
      const again = await patch(browser, location, body.length, new Uint8Array(0));
      expect(again.status, await again.clone().text()).toBe(200);
      await expectDeliveredOnce(postboxId, location, file);
    });
  }

  it("the deletion after the delivery fails: still 200 delivered; termination deletes it after", async () => {
    const {
      browser,
      postboxId,
      file,
      location,
      r2,
      response: last,
    } = await patchWithFaults(STAGING_PART_BYTES + 7, 27, ["delete"]);
    expect(last.status, await last.clone().text()).toBe(200);
    expect(r2.failed).toEqual(["delete"]);
    expect(await emulator.files(postboxId)).toHaveLength(1);
    expect((await stagedKeys(location)).length).toBe(1);
    const ended = await browser.fetch(location, {
      method: "DELETE",
      origin: "https://app.test",
      headers: tusHeaders(),
    });
    expect(ended.status).toBe(204);
    await expectDeliveredOnce(postboxId, location, file);
  });
});
