/**
 * The demo in a real browser: the same stack as `pnpm start` (emulator + `wrangler dev` serving the
 * built SPA, started by `scripts/start.mjs`'s functions, on free ports and in temporary folders),
 * driven through Debian's Chromium with playwright-core. A person's path: Connect, Allow on the
 * consent page, choose a 3 MiB file, watch it reach 100% and `delivered`; then the emulator's
 * library must hold exactly those bytes. Leaves a screenshot in `test-results/demo.png`.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { LibraryFileJson } from "@digime-edge/emulator";
import { type BrowserContext, chromium } from "playwright-core";
import { SPA_DIR, startDemo } from "../../../scripts/start.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const SCREENSHOT = join(SPA_DIR, "test-results", "demo.png");
const FILE_NAME = "holiday-photos.bin";
const SIZE = 3 * 1024 * 1024;
const LIMIT = 4 * 1024 * 1024;

declare global {
  interface Window {
    /** Every `aria-valuenow` the upload's progress bar showed, in order. */
    __progress?: number[];
  }
}

test("demo: connect through the consent page, upload 3 MiB with progress to delivered, byte for byte in the library", {
  timeout: 150_000,
}, async (t) => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: run scripts/chromium.sh (never a browser download)`,
  );
  const work = await mkdtemp(join(tmpdir(), "digime-demo-test-"));
  let demo: Awaited<ReturnType<typeof startDemo>> | undefined;
  let context: BrowserContext | undefined;
  try {
    demo = await startDemo({
      workerPort: 0,
      emulatorPort: 0,
      dataDir: join(work, "emulator"),
      settingsFile: join(work, "worker.env"),
      persistTo: join(work, "worker-state"),
      autoApprove: false,
      keepSessionSecret: false,
      // Room for the 3 MiB file, not for the 5 MiB one below.
      settings: { MAX_UPLOAD_BYTES: String(LIMIT) },
    });
    const { emulator } = demo;
    t.diagnostic(`demo at ${demo.url}, emulator at ${emulator.url}`);

    // A fresh profile, passed as userDataDir (Playwright adds --user-data-dir and --headless).
    context = await chromium.launchPersistentContext(join(work, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 880, height: 1000 },
      timeout: 30_000,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
    page.on("console", (message) => {
      // The demo's own page only (the emulator's consent page has no favicon, say).
      if (message.type() === "error" && message.location().url.startsWith(demo?.url ?? "-")) {
        problems.push(`console: ${message.text()} (${message.location().url})`);
      }
    });
    page.on("response", (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
    });

    await page.goto(demo.url);
    const connect = page.getByRole("link", { name: "Connect your digi.me" });
    await connect.waitFor();

    // Sign in: the Worker sends the browser to the emulator's consent page; a person clicks Allow.
    await connect.click();
    await page.waitForURL((url) => url.href.startsWith(`${emulator.onboardUrl}authorize`));
    await page.getByRole("button", { name: "Allow" }).click();
    await page.waitForURL(demo.url);
    await page.getByText("Connected.").waitFor();
    assert.equal(await connect.isVisible(), false, "the Connect button is gone once connected");

    // Watch the progress bar from the moment it appears.
    await page.evaluate(() => {
      window.__progress = [];
      const list = document.getElementById("uploads");
      if (!list) throw new Error("#uploads is missing");
      new MutationObserver((records) => {
        for (const record of records) {
          const target = record.target as Element;
          const value = target.getAttribute?.("aria-valuenow");
          if (target.getAttribute?.("role") === "progressbar" && value !== null)
            window.__progress?.push(Number(value));
        }
      }).observe(list, { subtree: true, attributes: true, attributeFilter: ["aria-valuenow"] });
    });

    await page.getByLabel(/Tags/).fill("holiday, 2026");
    const bytes = randomBytes(SIZE);
    const started = Date.now();
    await page.setInputFiles("#file", {
      name: FILE_NAME,
      mimeType: "application/octet-stream",
      buffer: bytes,
    });

    const item = page.locator(".upload").filter({ hasText: FILE_NAME });
    await item.locator(".badge", { hasText: "delivered" }).waitFor({ timeout: 60_000 });
    const progressbar = item.getByRole("progressbar");
    assert.equal(await progressbar.getAttribute("aria-valuenow"), "100", "the progress bar ends at 100%");
    assert.equal((await item.locator(".progress-text").textContent())?.trim(), "100%");
    assert.equal(await item.getAttribute("data-status"), "delivered");
    const seen = await page.evaluate(() => window.__progress ?? []);
    assert.ok(seen.includes(100), `progress reached 100% (seen: ${seen.join(", ")})`);
    assert.ok(
      seen.every((value, i) => i === 0 || value >= (seen[i - 1] ?? 0)),
      `progress never goes back (${seen.join(", ")})`,
    );
    t.diagnostic(`upload took ${Date.now() - started} ms; progress seen: ${seen.join(", ")}%`);

    // The emulator's library decrypted what digi.me received: it must be the very bytes chosen.
    const listed = await fetch(`${emulator.libraryUrl}/api/files`);
    const { files } = (await listed.json()) as { files: LibraryFileJson[] };
    const file = files.find((f) => f.fileName === FILE_NAME);
    assert.ok(file, `the library has ${FILE_NAME}: ${JSON.stringify(files.map((f) => f.fileName))}`);
    const received = Buffer.from(await (await fetch(file.url)).arrayBuffer());
    assert.equal(received.byteLength, SIZE);
    assert.ok(received.equals(bytes), "the library holds the uploaded bytes, byte for byte");
    assert.deepEqual((file.metadata as { tags?: string[] }).tags, ["holiday", "2026"]);
    assert.equal((file.metadata as { mimeType?: string }).mimeType, "application/octet-stream");

    assert.deepEqual([...problems], [], "no script errors on the page");

    await mkdir(join(SPA_DIR, "test-results"), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    t.diagnostic(`screenshot: ${SCREENSHOT}`);
    console.log(`screenshot of the finished page: ${SCREENSHOT}`);

    // Drag and drop: a file dropped on the drop zone is sent the same way.
    await page.evaluate(() => {
      const data = new DataTransfer();
      data.items.add(new File(["dropped, not chosen"], "dropped.txt", { type: "text/plain" }));
      document
        .getElementById("dropzone")
        ?.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true }));
    });
    await page
      .locator(".upload")
      .filter({ hasText: "dropped.txt" })
      .locator(".badge", { hasText: "delivered" })
      .waitFor();
    const dropped = (await (await fetch(`${emulator.libraryUrl}/api/files`)).json()) as {
      files: LibraryFileJson[];
    };
    const droppedFile = dropped.files.find((f) => f.fileName === "dropped.txt");
    assert.ok(droppedFile, "the dropped file is in the library");
    assert.equal(await (await fetch(droppedFile.url)).text(), "dropped, not chosen");

    // Failures, in words. Too large: the Worker refuses it from its Content-Length.
    const failed = async (name: string) => {
      const entry = page.locator(".upload").filter({ hasText: name });
      await entry.locator(".badge", { hasText: "failed" }).waitFor({ timeout: 30_000 });
      return (await entry.locator(".upload-problem").textContent()) ?? "";
    };
    await page.setInputFiles("#file", {
      name: "too-big.bin",
      mimeType: "application/octet-stream",
      buffer: Buffer.alloc(LIMIT + 1024 * 1024),
    });
    assert.match(
      await failed("too-big.bin"),
      /This file is too large\. The largest file accepted is 4\.0 MiB\./,
    );

    // digi.me unavailable: the emulator is gone (the Worker answers once sdk-core's retries are spent).
    await emulator.close();
    await page.setInputFiles("#file", {
      name: "notes.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("hello"),
    });
    assert.match(await failed("notes.txt"), /digi\.me is unavailable right now\. Nothing was saved\./);

    // No session: the cookie is gone; Retry answers 401 and the page asks to connect again.
    await context.clearCookies();
    await page
      .locator(".upload")
      .filter({ hasText: "notes.txt" })
      .getByRole("button", { name: /again/ })
      .click();
    await page.getByRole("alert").getByText("You're not connected to digi.me.").waitFor();
    assert.equal(await connect.isVisible(), true, "the Connect button is back");
    assert.match(await failed("notes.txt"), /You're not connected to digi\.me\./);
    // The three failed requests are logged by the browser; anything else would be a fault.
    const unexpected = problems.filter(
      (p) => !p.startsWith("HTTP ") && !p.includes("Failed to load resource"),
    );
    assert.deepEqual(unexpected, [], "no script errors on the page");
    await page.screenshot({ path: join(SPA_DIR, "test-results", "demo-errors.png"), fullPage: true });
  } finally {
    await context?.close().catch(() => {});
    await demo?.stop();
    await rm(work, { recursive: true, force: true });
  }
});
