/**
 * The demo's resumable uploads (tus-js-client) in Chromium, beyond a cut connection
 * (`resumable-demo.test.ts`), on one signed-in page of the `pnpm start` stack:
 *
 * 1. pause, then resume, plain and sealed: nothing goes out while paused; the upload goes on from
 *    HEAD's offset on the same URL (a sealed one from the ciphertext it holds) and is delivered
 *    once, byte for byte;
 * 2. a reload in the middle of a plain upload and of a sealed one: what the page keeps survives it
 *    (the URL in `localStorage`; for the sealed one its key in IndexedDB, a `CryptoKey` that is not
 *    extractable and only encrypts, and the chaining block at the offset the Worker accepted, from
 *    which it encrypts again), and the page names the unfinished upload; the same file
 *    chosen again resumes the same upload (HEAD, no new creation), delivered once, the library's
 *    bytes equal to the file, and nothing kept after;
 * 3. a file changed in place after a reload, plain and sealed (other bytes, the same name, size
 *    and date, as `cp -p` leaves it): not the same file, so it starts again from 0 (a new upload,
 *    for the sealed one with a new key), the earlier upload is ended (`DELETE`) and forgotten,
 *    and the library holds the new bytes, once;
 * 4. a sealed upload whose kept upload is gone after a reload (ended elsewhere): HEAD responds with 404,
 *    and it starts again (a new upload with a new key), delivered once;
 * 5. a sealed upload ended with its × button: the Worker deletes it (`DELETE`, asked again while
 *    the PATCH cut off by the × is still being taken in), nothing is kept, nothing delivered.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { RESUMABLE_CHUNK_BYTES, RESUMABLE_THRESHOLD } from "../src/upload-modes.ts";
import { withSignedInDemo } from "./support/demo-browser.ts";
import { keptUploads } from "./support/kept-uploads.ts";

const SIZE = 40 * 1024 * 1024 + 12345;
const UPLOADS = /\/api\/uploads(\/[^/]+)?$/;
const UPLOAD = /\/api\/uploads\/[^/]+$/;

test("resumable uploads in a browser: pause and resume, resumed after a reload, ended", {
  timeout: 600_000,
}, async (t) => {
  await withSignedInDemo("digime-resume-test-", {}, async ({ work, page, problems, library }) => {
    const { files, fromLibrary } = library;

    // Every request to the upload routes, as "METHOD /path", across reloads; each creation's
    // Upload-Metadata header.
    const sent: string[] = [];
    const creations: Promise<string | null>[] = [];
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (UPLOADS.test(url.pathname)) sent.push(`${request.method()} ${url.pathname}`);
      if (request.method() === "POST" && url.pathname === "/api/uploads")
        creations.push(request.headerValue("upload-metadata"));
    });
    /**
     * The key of each upload created from the `from`th on, as its `Upload-Metadata` names it: the
     * wrapped key (`symmetricalKey`) and the iv, base64 as sent; `undefined` for a plain upload.
     * RSA-OAEP wraps even one key differently each time: the iv tells a kept plan used again.
     */
    const createdKeys = (from: number) =>
      Promise.all(
        creations.slice(from).map(async (header) => {
          const pairs = new Map(
            ((await header) ?? "").split(",").map((pair) => pair.trim().split(" ") as [string, string]),
          );
          const [symmetricalKey, iv] = [pairs.get("symmetricalKey"), pairs.get("iv")];
          return symmetricalKey && iv ? { symmetricalKey, iv } : undefined;
        }),
      );
    const setSealed = async (sealed: boolean) => {
      const seal = page.getByLabel("Encrypt on this device");
      if ((await seal.isChecked()) !== sealed) await seal.click();
    };
    const fileOnDisk = async (name: string, size: number) => {
      const buffer = randomBytes(size);
      const path = join(work, name);
      await writeFile(path, buffer);
      return { path, buffer };
    };
    const firstPatchDone = () =>
      page.waitForResponse(
        (r) =>
          r.request().method() === "PATCH" && UPLOAD.test(new URL(r.url()).pathname) && r.status() === 204,
      );
    /** Chooses the file at `path` and returns its upload's path once its first PATCH has been taken. */
    const chooseAndWaitFirstPatch = async (path: string) => {
      const patched = firstPatchDone();
      await page.setInputFiles("#file", path);
      return new URL((await patched).url()).pathname;
    };
    /** Reloads the page and waits until it is signed in again. */
    const reloadPage = async () => {
      await page.reload();
      await page.getByText("Connected.").waitFor();
    };
    const entry = (name: string) => page.locator(".upload").filter({ hasText: name });
    const badge = (name: string, text: string, timeout = 300_000) =>
      entry(name).locator(".badge", { hasText: text }).waitFor({ timeout });
    /** Waits until the upload of `name` has ended, and fails with its problem unless delivered. */
    const delivered = async (name: string) => {
      const ended = /^(delivered|failed|may have arrived|cancelled)$/;
      await entry(name).locator(".badge", { hasText: ended }).waitFor({ timeout: 300_000 });
      const problem = await entry(name).locator(".upload-problem").textContent();
      assert.equal(await entry(name).getAttribute("data-status"), "delivered", problem ?? "");
    };
    const deliveredOnce = async (name: string, buffer: Buffer) => {
      assert.equal((await files()).filter((f) => f.fileName === name).length, 1, `${name} delivered once`);
      const { bytes } = await fromLibrary(name);
      assert.ok(bytes.equals(buffer), `the library holds ${name} byte for byte`);
    };
    const nothingKept = async () => assert.deepEqual(await keptUploads(page), { urls: [], plans: [] });

    for (const sealed of [false, true]) {
      const mode = sealed ? "sealed" : "plain";
      await t.test(`${mode}: paused (nothing sent), resumed (HEAD, then on), delivered once`, async () => {
        assert.ok(SIZE > RESUMABLE_THRESHOLD);
        await setSealed(sealed);
        const name = `${mode}-paused.bin`;
        const { path, buffer } = await fileOnDisk(name, SIZE);
        const created = sent.filter((s) => s === "POST /api/uploads").length;
        const uploadPath = await chooseAndWaitFirstPatch(path);
        await page.getByRole("button", { name: `Pause ${name}` }).click();
        await badge(name, "paused", 10_000);
        assert.match((await entry(name).locator(".progress-text").textContent()) ?? "", /^paused/);
        const atPause = sent.length;
        // Round trips through the page while paused, so that anything tus-js-client had queued runs.
        for (let i = 0; i < 3; i++) await page.evaluate(() => fetch("/api/session").then((r) => r.text()));
        const kept = await keptUploads(page);
        assert.equal(kept.urls.length, 1, "the paused upload's URL is kept");
        assert.ok(kept.urls[0]?.value.includes(uploadPath));
        assert.equal(kept.plans.length, sealed ? 1 : 0);
        const atResume = sent.length;
        await page.getByRole("button", { name: `Resume ${name}` }).click();
        await delivered(name);
        assert.deepEqual(sent.slice(atPause, atResume), [], "nothing sent while paused");
        const after = sent.slice(atResume);
        assert.equal(after[0], `HEAD ${uploadPath}`, after.join(", "));
        assert.ok(after.includes(`PATCH ${uploadPath}`), after.join(", "));
        assert.equal(sent.filter((s) => s === "POST /api/uploads").length, created + 1, "created once");
        await deliveredOnce(name, buffer);
        await nothingKept();
      });
    }

    for (const sealed of [false, true]) {
      const mode = sealed ? "sealed" : "plain";
      await t.test(
        `${mode}: a reload in the middle, the file chosen again: resumed, delivered once`,
        async () => {
          await setSealed(sealed);
          const name = `${mode}-reloaded.bin`;
          const { path, buffer } = await fileOnDisk(name, SIZE);
          const created = sent.filter((s) => s === "POST /api/uploads").length;
          const uploadPath = await chooseAndWaitFirstPatch(path);
          if (sealed) {
            // The chaining block at the accepted offset is kept right after the first PATCH's answer.
            for (let i = 0; i < 100 && !(await keptUploads(page)).plans[0]?.chainAt; i++);
          }
          await reloadPage();
          const notice = page.locator("#notice");
          assert.equal(await notice.locator("#notice-title").textContent(), `Unfinished upload: ${name}.`);
          assert.match((await notice.textContent()) ?? "", /Choose the same file again/);

          const kept = await keptUploads(page);
          assert.equal(kept.urls.length, 1, "the URL outlives the page");
          assert.ok(kept.urls[0]?.id.startsWith(`digime-upload:${mode}:`));
          const stored = JSON.parse(kept.urls[0]?.value ?? "{}") as Record<string, unknown>;
          assert.deepEqual(
            Object.keys(stored).sort(),
            ["expiresAt", "url"],
            "localStorage holds a URL and a time only",
          );
          assert.ok(String(stored.url).endsWith(uploadPath));
          if (sealed) {
            assert.equal(kept.plans.length, 1, "the sealed upload's key outlives the page");
            const chainAt = kept.plans[0]?.chainAt ?? 0;
            assert.ok(chainAt >= RESUMABLE_CHUNK_BYTES && chainAt % 16 === 0, `chain kept at ${chainAt}`);
            assert.deepEqual(kept.plans[0], {
              chainAt,
              id: kept.urls[0]?.id,
              keyType: "CryptoKey",
              extractable: false,
              usages: ["encrypt"],
              algorithm: "AES-CBC",
              ivBytes: 16,
            });
          } else {
            assert.deepEqual(kept.plans, [], "a plain upload keeps no key");
          }

          const atReload = sent.length;
          await setSealed(sealed);
          const asked = page.waitForResponse(
            (r) => r.request().method() === "HEAD" && new URL(r.url()).pathname === uploadPath,
          );
          await page.setInputFiles("#file", path);
          // Resumed where the Worker stands: past the first PATCH (a sealed body from there is
          // encrypted again from the start with the kept key and iv).
          const offset = Number((await asked).headers()["upload-offset"]);
          assert.ok(await notice.isHidden(), "the notice goes once the file is chosen again");
          assert.ok(offset >= RESUMABLE_CHUNK_BYTES && offset < SIZE, `resumed at ${offset}`);
          if (sealed)
            assert.ok(offset >= (kept.plans[0]?.chainAt ?? 0), "the kept chain is before the offset");
          await delivered(name);
          const after = sent.slice(atReload);
          assert.equal(after[0], `HEAD ${uploadPath}`, after.join(", "));
          assert.ok(!after.includes("POST /api/uploads"), `no new upload: ${after.join(", ")}`);
          assert.equal(sent.filter((s) => s === "POST /api/uploads").length, created + 1);
          await deliveredOnce(name, buffer);
          await nothingKept();
        },
      );
    }

    for (const sealed of [false, true]) {
      const mode = sealed ? "sealed" : "plain";
      await t.test(
        `${mode}: changed in place after a reload (same name, size, date): from 0, new bytes`,
        async () => {
          await setSealed(sealed);
          const name = `${mode}-changed.bin`;
          const size = RESUMABLE_THRESHOLD + 1024 * 1024;
          const date = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
          const { path } = await fileOnDisk(name, size);
          await utimes(path, date, date);
          const createdBefore = creations.length;
          const uploadPath = await chooseAndWaitFirstPatch(path);
          await reloadPage();
          const [keptBefore] = (await keptUploads(page)).urls;
          assert.ok(keptBefore?.value.includes(uploadPath), "the earlier upload is kept");

          // The file is rewritten in place with other bytes; its size and date stay.
          const { buffer } = await fileOnDisk(name, size);
          await utimes(path, date, date);
          const { mtimeMs, size: sizeNow } = await stat(path);
          assert.deepEqual([mtimeMs, sizeNow], [date.getTime(), size]);
          const atChoice = sent.length;
          const ended = page.waitForResponse(
            (r) =>
              r.request().method() === "DELETE" &&
              new URL(r.url()).pathname === uploadPath &&
              r.status() !== 423,
            { timeout: 300_000 },
          );
          const firstPatch = page.waitForRequest(
            (r) => r.method() === "PATCH" && UPLOAD.test(new URL(r.url()).pathname),
            { timeout: 120_000 },
          );
          await setSealed(sealed);
          await page.setInputFiles("#file", path);
          const patch = await firstPatch;
          assert.notEqual(new URL(patch.url()).pathname, uploadPath, "not the earlier upload");
          assert.equal(await patch.headerValue("upload-offset"), "0", "started from 0");
          await delivered(name);
          assert.equal((await ended).status(), 204, "the earlier upload is ended");
          const after = sent.slice(atChoice);
          assert.equal(after.filter((s) => s === "POST /api/uploads").length, 1, after.join(", "));
          assert.ok(!after.includes(`HEAD ${uploadPath}`), `not resumed: ${after.join(", ")}`);
          assert.ok(!after.includes(`PATCH ${uploadPath}`), `not resumed: ${after.join(", ")}`);
          const keys = await createdKeys(createdBefore);
          assert.equal(keys.length, 2, "two uploads created");
          if (sealed) {
            assert.ok(keys[0] && keys[1], "each sealed upload sends its wrapped key and iv");
            assert.notEqual(keys[1].symmetricalKey, keys[0].symmetricalKey, "a new key");
            assert.notEqual(keys[1].iv, keys[0].iv, "a new iv: not the earlier plan");
          } else {
            assert.deepEqual(keys, [undefined, undefined], "a plain upload sends no key");
          }
          await deliveredOnce(name, buffer);
          await nothingKept();
        },
      );
    }

    await t.test(
      "sealed, its kept upload gone after a reload: started again with a new key, delivered once",
      async () => {
        await setSealed(true);
        const name = "gone.bin";
        const { path, buffer } = await fileOnDisk(name, SIZE);
        const createdBefore = creations.length;
        const uploadPath = await chooseAndWaitFirstPatch(path);
        await reloadPage();
        // Ended behind this page's back (tus termination, as another tab would).
        const ended = await page.evaluate(async (url) => {
          const headers = { "Tus-Resumable": "1.0.0" };
          let answer = await fetch(url, { method: "DELETE", headers });
          for (let i = 0; answer.status === 423 && i < 50; i++) {
            await new Promise((done) => setTimeout(done, 200));
            answer = await fetch(url, { method: "DELETE", headers });
          }
          return answer.status;
        }, uploadPath);
        assert.equal(ended, 204);
        const atChoice = sent.length;
        await setSealed(true);
        await page.setInputFiles("#file", path);
        await delivered(name);
        const after = sent.slice(atChoice);
        assert.equal(after[0], `HEAD ${uploadPath}`, after.join(", "));
        assert.equal(after[1], "POST /api/uploads", `started again: ${after.join(", ")}`);
        const keys = await createdKeys(createdBefore);
        assert.equal(keys.length, 2, "two uploads created");
        assert.ok(keys[0] && keys[1], "each sealed upload sends its wrapped key and iv");
        assert.notEqual(keys[1].symmetricalKey, keys[0].symmetricalKey, "a new key");
        assert.notEqual(keys[1].iv, keys[0].iv, "a new iv: not the earlier plan");
        await deliveredOnce(name, buffer);
        await nothingKept();
      },
    );

    await t.test("sealed, ended with ×: the Worker deletes it, nothing is kept", async () => {
      await setSealed(true);
      const name = "ended.bin";
      const { path } = await fileOnDisk(name, RESUMABLE_THRESHOLD + 1024 * 1024);
      const uploadPath = await chooseAndWaitFirstPatch(path);
      // Asked again while the PATCH cut off by the × is still being taken in (423), until 204.
      const deleted = page.waitForResponse(
        (r) =>
          r.request().method() === "DELETE" && new URL(r.url()).pathname === uploadPath && r.status() !== 423,
        { timeout: 60_000 },
      );
      await page.getByRole("button", { name: `Cancel ${name}` }).click();
      await badge(name, "cancelled", 10_000);
      assert.equal((await deleted).status(), 204);
      await nothingKept();
      assert.equal((await files()).filter((f) => f.fileName === name).length, 0);
    });

    assert.deepEqual(
      problems.filter((p) => p.startsWith("pageerror")),
      [],
      "no script errors on the page",
    );
  });
});
