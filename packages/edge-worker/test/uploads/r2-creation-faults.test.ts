/**
 * R2 failing when a resumable upload is created (`POST /api/uploads`): R2's multipart upload not
 * started inside the vault, or a creation-with-upload's first bytes not staged. The client gets
 * 503 `STAGING_UNAVAILABLE` with `Retry-After` and no `Location`; the vault keeps no upload (the
 * user's count of uploads in progress is whole), nothing stays staged, the multipart upload is
 * aborted, and the creation sent again is delivered once, byte for byte.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { vaultFor } from "../../src/lib/session.ts";
import { STAGING_PART_BYTES } from "../../src/lib/tus/upload-types.ts";
import { MAX_OPEN_UPLOADS } from "../../src/routes/uploads.ts";
import { errorOf } from "../support/answers.ts";
import { type Browser, type CallInit, signedInUser } from "../support/browser.ts";
import { bytesOf, sha256 } from "../support/bytes.ts";
import { emulator } from "../support/emulator-admin.ts";
import { expectStagingUnavailable, failingBucket, failingVaultBucket } from "../support/failing-bucket.ts";
import { APP_ORIGIN, testEnv } from "../support/test-env.ts";
import { create, stagedKeys, staging, tusHeaders } from "../support/tus-requests.ts";

const SIZE = 2 * STAGING_PART_BYTES + 99;

/** The creation's body options: `file` as a creation-with-upload's first bytes. */
const withBody = (file: Uint8Array) => ({
  body: file,
  headers: { "Content-Type": "application/offset+octet-stream" },
});

/** How many uploads the user's vault holds (delivered, failed and in progress). */
function uploadRows(userId: string): Promise<number> {
  return runInDurableObject(
    vaultFor(testEnv, userId),
    (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM uploads").one().n,
  );
}

/** Expects the user may still start {@link MAX_OPEN_UPLOADS} uploads (and not one more); ends them. */
async function expectWholeQuota(browser: Browser): Promise<void> {
  const locations: string[] = [];
  for (let i = 0; i < MAX_OPEN_UPLOADS; i++) {
    const made = await create(browser, 10);
    expect(made.status, await made.clone().text()).toBe(201);
    locations.push(made.headers.get("Location") as string);
  }
  expect((await errorOf(await create(browser, 10))).code).toBe("TOO_MANY_UPLOADS");
  for (const location of locations) {
    const ended = await browser.fetch(location, {
      method: "DELETE",
      origin: APP_ORIGIN,
      headers: tusHeaders(),
    });
    expect(ended.status).toBe(204);
  }
}

/** Expects the multipart upload R2 started to be aborted: a part can no longer be added. */
async function expectAborted(multipart: { key: string; uploadId: string } | undefined): Promise<void> {
  expect(multipart).toBeDefined();
  const { key, uploadId } = multipart as { key: string; uploadId: string };
  await expect(
    staging.resumeMultipartUpload(key, uploadId).uploadPart(1, new Uint8Array(5)),
  ).rejects.toThrow();
  expect(await stagedKeys(key)).toEqual([]);
}

/** Sends the creation again, the whole file with it; expects it delivered once, byte for byte. */
async function expectRetryDelivers(browser: Browser, postboxId: string, file: Uint8Array<ArrayBuffer>) {
  const again = await create(browser, file.length, { filename: "again.bin" }, withBody(file));
  expect(again.status, await again.clone().text()).toBe(201);
  expect(await again.json()).toMatchObject({ status: "delivered", bytes: file.length });
  const files = await emulator.files(postboxId);
  expect(files).toHaveLength(1);
  expect(files[0]?.sha256).toBe(await sha256(file));
  expect(await stagedKeys(again.headers.get("Location") as string)).toEqual([]);
}

/** `create`, while the vault's bucket fails as `vault` says; the binding is restored after. */
async function createWhile(
  vault: ReturnType<typeof failingVaultBucket>,
  ...args: Parameters<typeof create>
): Promise<Response> {
  try {
    return await create(...args);
  } finally {
    vault.restore();
  }
}

/** Creates an upload of `file` as {@link createWhile}; expects R2's 503 and no `Location`. */
async function expectUnavailableCreation(
  vault: ReturnType<typeof failingVaultBucket>,
  browser: Browser,
  file: Uint8Array,
  init: CallInit,
): Promise<void> {
  const response = await createWhile(vault, browser, file.length, { filename: "f.bin" }, init);
  await expectStagingUnavailable(response);
  expect(response.headers.get("Location")).toBeNull();
}

describe("R2 failing when a resumable upload is created", () => {
  for (const body of [false, true]) {
    it(`R2's multipart upload is not started (${body ? "with" : "without"} a body): 503, no upload kept`, async () => {
      const { browser, postboxId, userId } = await signedInUser();
      const file = bytesOf(SIZE, 31);
      const vault = failingVaultBucket();
      vault.fail("createMultipartUpload");
      await expectUnavailableCreation(vault, browser, file, body ? withBody(file) : {});
      expect(vault.failed).toEqual(["createMultipartUpload"]);
      expect(await uploadRows(userId)).toBe(0);
      await expectWholeQuota(browser);
      await expectRetryDelivers(browser, postboxId, file);
    });
  }

  for (const [what, down] of [
    ["second part", [["uploadPart", { skip: 1 }]]],
    [
      "every part and the tail",
      [
        ["uploadPart", { times: 10 }],
        ["put", { times: 10 }],
      ],
    ],
  ] as const) {
    it(`a creation-with-upload's ${what} fails: 503, the upload dropped and aborted, the retry delivers`, async () => {
      const { browser, postboxId, userId } = await signedInUser();
      const file = bytesOf(SIZE, 32);
      const r2 = failingBucket();
      for (const [call, rule] of down) r2.fail(call, rule);
      // The vault's bucket fails nothing: it tells which multipart upload was started.
      const vault = failingVaultBucket();
      await expectUnavailableCreation(vault, browser, file, { ...withBody(file), env: r2.env });
      expect(r2.failed[0]).toBe("uploadPart");
      expect(vault.created).toHaveLength(1);
      await expectAborted(vault.created[0]);
      expect(await uploadRows(userId)).toBe(0);
      expect(await emulator.files(postboxId)).toHaveLength(0);
      await expectWholeQuota(browser);
      await expectRetryDelivers(browser, postboxId, file);
    });
  }

  it("R2 also fails to delete the dropped upload: it expires at once, the alarm deletes it", async () => {
    const { browser, postboxId, userId } = await signedInUser();
    const file = bytesOf(SIZE, 33);
    const r2 = failingBucket();
    r2.fail("uploadPart", { skip: 1 });
    const vault = failingVaultBucket();
    vault.fail("delete");
    await expectUnavailableCreation(vault, browser, file, { ...withBody(file), env: r2.env });
    expect(vault.failed).toEqual(["delete"]);
    const multipart = vault.created[0] as { key: string; uploadId: string };
    // The row stays, expired (no longer counted), with the tail R2 did not delete.
    expect(await uploadRows(userId)).toBe(1);
    expect((await stagedKeys(multipart.key)).length).toBe(1);
    await expectWholeQuota(browser);
    const stub = vaultFor(testEnv, userId);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).not.toBeNull();
    await runInDurableObject(stub, (instance) => (instance as unknown as { alarm(): Promise<void> }).alarm());
    expect(await uploadRows(userId)).toBe(0);
    await expectAborted(multipart);
    await expectRetryDelivers(browser, postboxId, file);
  });

  it("a creation-with-upload refused otherwise (its checksum): no upload kept either", async () => {
    const { browser, userId } = await signedInUser();
    const file = bytesOf(SIZE, 34);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", file.subarray(1)));
    const wrong = `sha1 ${btoa(String.fromCharCode(...digest))}`;
    const vault = failingVaultBucket();
    const init = withBody(file);
    const headers = { ...init.headers, "Upload-Checksum": wrong };
    const response = await createWhile(vault, browser, SIZE, { filename: "f.bin" }, { ...init, headers });
    expect((await errorOf(response)).code).toBe("CHECKSUM_MISMATCH");
    expect(response.headers.get("Location")).toBeNull();
    expect(await uploadRows(userId)).toBe(0);
    await expectAborted(vault.created[0]);
  });
});
