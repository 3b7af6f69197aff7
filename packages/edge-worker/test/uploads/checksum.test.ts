/**
 * The tus checksum extension (sha1): discovery names it; a PATCH whose body matches its
 * `Upload-Checksum` is kept, one that does not is 460 `CHECKSUM_MISMATCH` with nothing of it kept
 * (the offset where it was, also across parts staged on the way), a cut-off one is not kept
 * either; another algorithm or a malformed value is 400 before anything is read. The upload then
 * resumes and is delivered once, byte for byte, with nothing left staged.
 */
import { describe, expect, it } from "vitest";
import { STAGING_PART_BYTES } from "../../src/lib/tus/upload-types.ts";
import { errorOf } from "../support/answers.ts";
import { Browser, signedInUser } from "../support/browser.ts";
import { bytesOf, sha256 } from "../support/bytes.ts";
import { emulator } from "../support/emulator-admin.ts";
import { APP_ORIGIN } from "../support/test-env.ts";
import { create, head, patch, stagedKeys } from "../support/tus-requests.ts";

/** Standard base64 of `bytes`. */
const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/** `Upload-Checksum` of `bytes`: WebCrypto's one-shot SHA-1 (the Worker hashes as a stream). */
async function sha1(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return `sha1 ${base64(new Uint8Array(await crypto.subtle.digest("SHA-1", bytes)))}`;
}

describe("tus checksum extension (sha1)", () => {
  it("OPTIONS names the extension and its algorithm", async () => {
    const response = await new Browser().fetch("/api/uploads", {
      method: "OPTIONS",
      origin: APP_ORIGIN,
      headers: {
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "upload-checksum",
      },
    });
    expect(response.headers.get("Tus-Extension")?.split(",")).toContain("checksum");
    expect(response.headers.get("Tus-Checksum-Algorithm")).toBe("sha1");
    expect(response.headers.get("Access-Control-Allow-Headers")).toContain("Upload-Checksum");
  });

  it("a matching body is kept; a damaged one (across parts) 460 and nothing kept; resumed, delivered once", async () => {
    const { browser, postboxId } = await signedInUser();
    const size = 3 * STAGING_PART_BYTES + 4321;
    const file = bytesOf(size, 31);
    const location = (await create(browser, size)).headers.get("Location") as string;
    const first = STAGING_PART_BYTES + 100;
    const ok = await patch(browser, location, 0, file.subarray(0, first), {
      headers: { "Upload-Checksum": await sha1(file.subarray(0, first)) },
    });
    expect(ok.status, await ok.clone().text()).toBe(204);
    expect(ok.headers.get("Upload-Offset")).toBe(String(first));

    // Two whole parts go to R2 on the way, yet the mismatch keeps none of them.
    const rest = file.subarray(first);
    const damaged = rest.slice();
    damaged[0] = (damaged[0] as number) ^ 1;
    const refused = await patch(browser, location, first, damaged, {
      headers: { "Upload-Checksum": await sha1(rest) },
    });
    expect(await errorOf(refused)).toMatchObject({ status: 460, code: "CHECKSUM_MISMATCH" });
    expect(await head(browser, location)).toEqual({ status: 200, offset: first });

    // Cut off: the body cannot be checked, so nothing of it is kept.
    const cut = await patch(browser, location, first, rest, {
      cutAfter: 2 * STAGING_PART_BYTES,
      headers: { "Upload-Checksum": await sha1(rest) },
    });
    expect(cut.status).not.toBe(204);
    expect(await head(browser, location)).toEqual({ status: 200, offset: first });

    const last = await patch(browser, location, first, rest, {
      headers: { "Upload-Checksum": await sha1(rest) },
    });
    expect(last.status, await last.clone().text()).toBe(200);
    expect(await last.json()).toMatchObject({ status: "delivered", bytes: size });
    const files = await emulator.files(postboxId);
    expect(files).toHaveLength(1);
    expect(files[0]?.sha256).toBe(await sha256(file));
    expect(await stagedKeys(location)).toEqual([]);
  });

  it("another algorithm or a malformed value: 400 BAD_UPLOAD_CHECKSUM, the offset unchanged", async () => {
    const { browser } = await signedInUser();
    const file = bytesOf(1000, 32);
    const location = (await create(browser, 1000)).headers.get("Location") as string;
    const digest = (await sha1(file)).slice("sha1 ".length);
    for (const value of [
      `md5 ${base64(new Uint8Array(16).fill(7))}`,
      "sha1",
      `sha1 ${base64(new Uint8Array(3))}`,
      "sha1 not*base64",
      `SHA1 ${digest}`,
      `sha1  ${digest}`,
    ]) {
      const refused = await patch(browser, location, 0, file, { headers: { "Upload-Checksum": value } });
      expect(await errorOf(refused), value).toMatchObject({ status: 400, code: "BAD_UPLOAD_CHECKSUM" });
    }
    expect(await head(browser, location)).toEqual({ status: 200, offset: 0 });
    const kept = await patch(browser, location, 0, file, {
      headers: { "Upload-Checksum": await sha1(file) },
    });
    expect(kept.status, await kept.clone().text()).toBe(200);
  });
});
