/**
 * The demo's resumable uploads in Chromium (playwright-core), on the stack of `pnpm start`: a file
 * over `RESUMABLE_THRESHOLD` goes through `/api/uploads` (tus) in PATCHes with tus-js-client; the
 * network is cut under one PATCH (`page.route` aborts it), tus-js-client asks HEAD where the upload
 * stands and goes on, and the library holds the file once, byte for byte, sealed on this device and
 * in plain mode.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { RESUMABLE_CHUNK_BYTES, RESUMABLE_THRESHOLD } from "../src/upload-modes.ts";
import { withSignedInDemo } from "./support/demo-browser.ts";

const SIZE = RESUMABLE_THRESHOLD + 2 * RESUMABLE_CHUNK_BYTES + 12345;
const PATCHES = /\/api\/uploads\/[^/]+$/;

test("resumable uploads in a browser: a PATCH cut off, resumed, delivered once", {
  timeout: 180_000,
}, async (t) => {
  await withSignedInDemo("digime-resumable-test-", {}, async ({ page, library }) => {
    const { files, fromLibrary } = library;
    const sealSwitch = page.getByLabel("Encrypt on this device");

    for (const sealed of [true, false]) {
      await t.test(
        `${sealed ? "sealed" : "plain"}: the second PATCH cut off, resumed, delivered`,
        async () => {
          if ((await sealSwitch.isChecked()) !== sealed) await sealSwitch.click();
          const name = `${sealed ? "sealed" : "plain"}-large.bin`;
          const buffer = randomBytes(SIZE);
          const methods: string[] = [];
          let patches = 0;
          await page.route(PATCHES, async (route) => {
            const method = route.request().method();
            if (method === "PATCH" && ++patches === 2) {
              methods.push("PATCH (cut)");
              return route.abort("connectionreset");
            }
            methods.push(method);
            return route.continue();
          });
          try {
            await page.setInputFiles("#file", { name, mimeType: "application/octet-stream", buffer });
            const item = page.locator(".upload").filter({ hasText: name });
            await item.locator(".badge", { hasText: "delivered" }).waitFor({ timeout: 120_000 });
          } finally {
            await page.unroute(PATCHES);
          }
          assert.ok(methods.includes("PATCH (cut)"), methods.join(", "));
          // After the cut: HEAD asked where the upload stands, then the PATCHes went on.
          assert.equal(methods[methods.indexOf("PATCH (cut)") + 1], "HEAD", methods.join(", "));
          assert.ok(methods.filter((m) => m === "PATCH").length >= 3, methods.join(", "));
          assert.equal((await files()).filter((f) => f.fileName === name).length, 1);
          const { bytes } = await fromLibrary(name);
          assert.ok(bytes.equals(buffer), "the library holds the file byte for byte");
        },
      );
    }
  });
});
