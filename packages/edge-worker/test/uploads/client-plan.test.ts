/**
 * The typed client's `prepareResumable` against the Worker: what a tus client of the app's own
 * (the SPA's tus-js-client) sends. A sealed plan's key is not extractable and only encrypts; its
 * body, encrypted again from the key and iv alone at the offset HEAD gives (as after a page
 * reload), completes the upload, which decrypts at digi.me to the file.
 */
import { cbcEncryptFrom } from "@digime-edge/sdk-core/internal";
import { describe, expect, it } from "vitest";
import { createClient } from "../../src/client.ts";
import { STAGING_PART_BYTES } from "../../src/lib/tus/upload-types.ts";
import { signedInUser } from "../support/browser.ts";
import { bytesOf, sha256 } from "../support/bytes.ts";
import { emulator } from "../support/emulator-admin.ts";
import { ORIGIN } from "../support/test-env.ts";
import { create, head, patch, stagedKeys } from "../support/tus-requests.ts";

/** The first `count` bytes of `stream` (all of it when `count` is absent). */
async function bytesFrom(stream: ReadableStream<Uint8Array>, count = Number.POSITIVE_INFINITY) {
  const all = new Uint8Array(await new Response(stream).arrayBuffer());
  return all.subarray(0, Math.min(count, all.length));
}

describe("prepareResumable", () => {
  it("plain: the file's size, name, type and descriptor; no key", async () => {
    const { browser } = await signedInUser();
    const client = createClient(ORIGIN, { fetch: browser.fetchForClient });
    const file = new Blob([bytesOf(1000, 3)], { type: "text/csv" });
    const plan = await client.prepareResumable(file, { fileName: "a.csv", descriptor: { tags: ["x"] } });
    expect(plan).toEqual({
      length: 1000,
      metadata: { filename: "a.csv", filetype: "text/csv", fileDescriptor: JSON.stringify({ tags: ["x"] }) },
    });
  });

  it("sealed: resumed from the key and iv alone at HEAD's offset, delivered, decrypts to the file", async () => {
    const { browser, postboxId } = await signedInUser();
    const client = createClient(ORIGIN, { fetch: browser.fetchForClient });
    const bytes = bytesOf(STAGING_PART_BYTES + 4321, 31);
    const file = new Blob([bytes]);
    const plan = await client.prepareResumable(file, { sealed: true, fileName: "resumed.bin" });
    expect(plan.length).toBe((Math.floor(bytes.length / 16) + 1) * 16);
    expect(Object.keys(plan.metadata).sort()).toEqual(["filename", "iv", "metadata", "symmetricalKey"]);
    const sealing = plan.sealing;
    if (!sealing) throw new Error("a sealed plan has its key and iv");
    expect(sealing.key.extractable).toBe(false);
    expect(sealing.key.usages).toEqual(["encrypt"]);
    expect(Buffer.from(sealing.iv).toString("hex")).toBe(plan.metadata.iv);

    const created = await create(browser, plan.length, plan.metadata);
    expect(created.status).toBe(201);
    const location = created.headers.get("Location") ?? "";
    // The first page sends a part that ends inside an AES block, then is gone.
    const first = await bytesFrom(await cbcEncryptFrom(sealing.key, sealing.iv, file, 0), 1024 * 1024 + 7);
    expect((await patch(browser, location, 0, first)).status).toBe(204);
    const { offset } = await head(browser, location);
    expect(offset).toBe(first.length);
    // The next one knows the key, the iv and the file: it encrypts from HEAD's offset on.
    const rest = await bytesFrom(await cbcEncryptFrom(sealing.key, sealing.iv, file, offset));
    const done = await patch(browser, location, offset, rest);
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ status: "delivered", fileName: "resumed.bin" });
    const files = await emulator.files(postboxId);
    expect(files).toHaveLength(1);
    expect(files[0]?.sha256).toBe(await sha256(bytes));
    expect(await stagedKeys(location)).toEqual([]);
  });
});
