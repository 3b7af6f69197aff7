/**
 * Resumable uploads with an import contract (`DIGIME_WRITE_API=import`): a file cut off mid-way
 * and resumed through `/api/uploads` is imported once, as it is, with `pushData` from the decrypted
 * staged parts (which never hold its plaintext); a sealed upload is refused (nothing to seal for).
 */
import { describe, expect, it } from "vitest";
import { STAGING_PART_BYTES } from "../../src/lib/tus/upload-types.ts";
import { errorOf } from "../support/answers.ts";
import { bytesOf, sha256 } from "../support/bytes.ts";
import { importedFiles, signedInImportUser } from "../support/import-users.ts";
import { contains, create, head, patch, stagedBytes, stagedKeys } from "../support/tus-requests.ts";

describe("resumable imports", () => {
  it("cut off, resumed, imported once byte for byte; staged only encrypted; R2 empty after", async () => {
    const { browser, digimeUser } = await signedInImportUser();
    const size = 2 * STAGING_PART_BYTES + 4321;
    const file = bytesOf(size, 31);
    const created = await create(browser, size, {
      filename: "import.bin",
      filetype: "application/pdf",
      fileDescriptor: JSON.stringify({ tags: ["resumable"] }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const location = created.headers.get("Location") as string;
    const cut = STAGING_PART_BYTES + 100;
    expect((await patch(browser, location, 0, file, { cutAfter: cut })).status).not.toBe(200);
    expect(await head(browser, location)).toEqual({ status: 200, offset: cut });
    for (const object of await stagedBytes(location))
      expect(contains(object, file.subarray(1000, 1064))).toBe(false);
    const done = await patch(browser, location, cut, file.subarray(cut));
    expect(done.status, await done.clone().text()).toBe(200);
    expect(await done.json()).toEqual({ status: "delivered", fileName: "import.bin", bytes: size });
    const files = await importedFiles(digimeUser.id);
    expect(files).toHaveLength(1);
    expect(files[0]?.sha256).toBe(await sha256(file));
    expect(files[0]?.mimeType).toBe("application/pdf");
    expect(await stagedKeys(location)).toEqual([]);
  });

  it("a sealed resumable upload: 409 SEALING_UNAVAILABLE", async () => {
    const { browser } = await signedInImportUser();
    const response = await create(browser, 32, { filename: "a", iv: "0".repeat(32) });
    expect(await errorOf(response)).toMatchObject({ status: 409, code: "SEALING_UNAVAILABLE" });
  });
});
