/**
 * Resumable uploads end to end in workerd: plain and sealed files through `/api/uploads`, cut off
 * mid-way and resumed from HEAD's offset, arrive byte for byte and once; the staging bucket never
 * holds the plaintext, and holds nothing once the upload is delivered.
 */
import { describe, expect, it } from "vitest";
import { STAGING_PART_BYTES } from "../../src/lib/tus/upload-types.ts";
import { errorOf } from "../support/answers.ts";
import { signedInUser } from "../support/browser.ts";
import { bytesOf, sha256 } from "../support/bytes.ts";
import { emulator } from "../support/emulator-admin.ts";
import { publicKeyOf, sealInNode } from "../support/sealed-uploads.ts";
import { contains, create, head, patch, stagedBytes, stagedKeys } from "../support/tus-requests.ts";

const SIZE = 2 * STAGING_PART_BYTES + 1234567;

describe("resumable uploads arrive once, byte for byte, after cut-offs", () => {
  it("plain: two cut-off PATCHes resumed; staged parts never hold the plaintext; R2 empty after", async () => {
    const { browser, postboxId } = await signedInUser();
    const file = bytesOf(SIZE, 7);
    const created = await create(browser, SIZE, { filename: "big.bin", filetype: "application/pdf" });
    expect(created.status, await created.clone().text()).toBe(201);
    const location = created.headers.get("Location") as string;
    expect(location).toMatch(/^\/api\/uploads\/[A-Za-z0-9_-]{22}$/);
    expect(created.headers.get("Upload-Expires")).toMatch(/GMT$/);

    // Cut off after 1.5 parts: the whole part and the half after it are kept.
    const first = Math.floor(1.5 * STAGING_PART_BYTES);
    // In workerd a body that errors ends early, as one whose connection dropped at a chunk's end.
    expect((await patch(browser, location, 0, file, { cutAfter: first })).status).not.toBe(200);
    expect(await head(browser, location)).toEqual({ status: 200, offset: first });
    // Staged so far: one part (in the open multipart upload) and the tail: scan what R2 lists.
    const staged = await stagedBytes(location);
    expect(staged.length).toBeGreaterThan(0);
    for (const object of staged) {
      for (let at = 0; at + 64 <= SIZE; at += 65536)
        expect(contains(object, file.subarray(at, at + 64))).toBe(false);
    }

    // Cut off again in the middle of the third part.
    const second = 2 * STAGING_PART_BYTES + 1000;
    const cut = await patch(browser, location, first, file.subarray(first), { cutAfter: second - first });
    expect(cut.status).not.toBe(200);
    expect(await head(browser, location)).toEqual({ status: 200, offset: second });

    const last = await patch(browser, location, second, file.subarray(second));
    expect(last.status, await last.clone().text()).toBe(200);
    expect(await last.json()).toMatchObject({ status: "delivered", fileName: "big.bin", bytes: SIZE });
    expect(last.headers.get("Upload-Offset")).toBe(String(SIZE));

    const files = await emulator.files(postboxId);
    expect(files).toHaveLength(1);
    expect(files[0]?.sha256).toBe(await sha256(file));
    expect(files[0]?.metadata).toMatchObject({ mimeType: "application/pdf" });
    expect(await stagedKeys(location)).toEqual([]);

    // The final PATCH again: the same answer, nothing delivered twice.
    const again = await patch(browser, location, SIZE, new Uint8Array(0));
    expect(again.status).toBe(200);
    expect(await emulator.files(postboxId)).toHaveLength(1);
  });

  it("sealed: the ciphertext is staged as it is and sent with sendSealed; one copy", async () => {
    const { browser, postboxId, userId } = await signedInUser();
    const file = bytesOf(STAGING_PART_BYTES + 777, 9);
    const sealed = await sealInNode(await publicKeyOf(browser), file, {
      mimeType: "text/plain",
      accounts: [{ accountId: userId }],
    });
    const body = sealed.body as Uint8Array<ArrayBuffer>;
    const created = await create(browser, body.length, {
      filename: "sealed.bin",
      iv: sealed.iv,
      symmetricalKey: sealed.symmetricalKey,
      metadata: sealed.metadata,
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const location = created.headers.get("Location") as string;
    const cut = STAGING_PART_BYTES + 100;
    expect((await patch(browser, location, 0, body, { cutAfter: cut })).status).not.toBe(200);
    expect(await head(browser, location)).toEqual({ status: 200, offset: cut });
    const done = await patch(browser, location, cut, body.subarray(cut));
    expect(done.status, await done.clone().text()).toBe(200);
    expect(await done.json()).toMatchObject({ status: "delivered", bytes: body.length });
    const files = await emulator.files(postboxId);
    expect(files).toHaveLength(1);
    expect(files[0]?.sha256).toBe(await sha256(file));
    expect(await stagedKeys(location)).toEqual([]);
  });

  it("creation-with-upload: the first bytes in the POST; the whole file in one POST is delivered", async () => {
    const { browser, postboxId } = await signedInUser();
    const file = bytesOf(3000, 5);
    const body = {
      method: "POST",
      body: file.subarray(0, 1000),
      headers: { "Content-Type": "application/offset+octet-stream" },
    };
    const partial = await create(browser, 3000, { filename: "cwu.bin" }, body);
    expect(partial.status).toBe(201);
    expect(partial.headers.get("Upload-Offset")).toBe("1000");
    const location = partial.headers.get("Location") as string;
    expect((await patch(browser, location, 1000, file.subarray(1000))).status).toBe(200);
    const whole = await create(browser, 3000, { filename: "whole.bin" }, { ...body, body: file });
    expect(whole.status, await whole.clone().text()).toBe(201);
    expect(await whole.json()).toMatchObject({ status: "delivered", fileName: "whole.bin", bytes: 3000 });
    const files = await emulator.files(postboxId);
    expect(files.map((f) => f.fileName).sort()).toEqual(["cwu.bin", "whole.bin"]);
    for (const f of files) expect(f.sha256).toBe(await sha256(file));
    const wrongType = await create(
      browser,
      3000,
      { filename: "x" },
      { ...body, headers: { "Content-Type": "text/plain" } },
    );
    expect((await errorOf(wrongType)).status).toBe(415);
  });

  it("termination deletes what was staged; the upload is then gone", async () => {
    const { browser } = await signedInUser();
    const file = bytesOf(STAGING_PART_BYTES + 10, 3);
    const location = (await create(browser, file.length * 2)).headers.get("Location") as string;
    expect((await patch(browser, location, 0, file)).status).toBe(204);
    expect((await stagedKeys(location)).length).toBe(1);
    const ended = await browser.fetch(location, {
      method: "DELETE",
      origin: "https://app.test",
      headers: { "Tus-Resumable": "1.0.0" },
    });
    expect(ended.status).toBe(204);
    expect(await stagedKeys(location)).toEqual([]);
    expect((await head(browser, location)).status).toBe(404);
    expect((await errorOf(await patch(browser, location, file.length, file))).code).toBe("NOT_FOUND");
  });
});
