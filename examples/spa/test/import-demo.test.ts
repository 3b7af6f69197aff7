/**
 * The import demo in a real browser: the stack of `./dev start --import` (the emulator's dev
 * contract and the Worker on digi.me's import API, `pushData`), started by `scripts/start.mjs`'s
 * functions on free ports and in temporary folders, driven through Debian's Chromium. In order, on
 * one page:
 *
 * 1. Connect, Allow on the consent page, back and connected; the page says that digi.me receives
 *    the file over TLS and offers no switch to seal on the device;
 * 2. a 2 MiB file with tags goes to `/api/files` (never `/api/sealed-files`) to `delivered`; the
 *    emulator's library holds it as an import, byte for byte, with its tags;
 * 3. the user's accounts are listed as the emulator has them, and the Worker's answer holds no
 *    token. Screenshot `test-results/demo-import.png`;
 * 4. "Delete my data at digi.me": "Keep my data" sends nothing; digi.me failing is said in words and
 *    keeps the person connected; confirmed, the user is deleted at digi.me (their library empty,
 *    their tokens gone) and the page is signed out.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { BrowserContext, Response } from "playwright-core";
import { SPA_DIR } from "../../../scripts/start.mjs";
import { bytesOf, libraryAt, linesOf, openDemoPage, signIn, startDemoIn } from "./support/demo-browser.ts";

const SCREENSHOT = join(SPA_DIR, "test-results", "demo-import.png");
const FILE_NAME = "lab-results.bin";
const SIZE = 2 * 1024 * 1024;

test("import demo in a browser: over TLS without the switch, the library byte for byte, accounts, delete my data", {
  timeout: 120_000,
}, async (t) => {
  const work = await mkdtemp(join(tmpdir(), "digime-import-demo-test-"));
  let demo: Awaited<ReturnType<typeof startDemoIn>> | undefined;
  let context: BrowserContext | undefined;
  try {
    demo = await startDemoIn(work, { autoApprove: false, writeApi: "import" });
    const { emulator } = demo;
    const demoUrl = demo.url;
    t.diagnostic(`demo at ${demo.url}, emulator at ${emulator.url}`);
    const library = libraryAt(emulator.libraryUrl);
    const tokensOf = (userId: string) =>
      (
        emulator.store.db.prepare("SELECT value FROM tokens WHERE user_id = ?").all(userId) as {
          value: string;
        }[]
      ).map((row) => row.value);

    const opened = await openDemoPage(work, demoUrl);
    context = opened.context;
    const { page, problems, requests } = opened;
    const browser = context;
    // Every request the page sent to the Worker's API, as `METHOD /path`.
    const apiCalls = () =>
      requests
        .filter(({ url }) => url.href.startsWith(demoUrl) && url.pathname.startsWith("/api/"))
        .map(({ method, url }) => `${method} ${url.pathname}`);
    const modeLine = page.locator("#mode-summary");
    let accountsAnswer: Promise<Response> | undefined;
    let userId = "";

    await t.test(
      "connect through the consent page; the page says digi.me receives the file over TLS, no switch",
      async () => {
        await page.goto(demoUrl);
        await page.getByRole("link", { name: "Connect your digi.me" }).waitFor();
        // Already before signing in, the page follows the Worker's write API.
        assert.equal(await modeLine.getAttribute("data-mode"), "import");
        await signIn(page, {
          demoUrl,
          onboardUrl: emulator.onboardUrl,
          onConsentPage: async () => {
            accountsAnswer = page.waitForResponse((r) => r.url().endsWith("/api/accounts"));
          },
        });
        assert.ok(
          (await browser.cookies(demoUrl)).some((c) => c.name === "digime_session"),
          "the session cookie once connected",
        );
        assert.equal(
          await page.locator("#seal-switch").isVisible(),
          false,
          "no switch to seal on the device",
        );
        assert.equal(await page.getByLabel("Encrypt on this device").isVisible(), false);
        assert.match(
          (await modeLine.textContent()) ?? "",
          /^\s*digi\.me receives the file over TLS: its import API has no sealing on this device\.\s*$/,
        );
        assert.equal(await modeLine.getAttribute("data-mode"), "import");
        assert.equal(await linesOf(modeLine), 1, "said in one line");
      },
    );

    await t.test(
      "a 2 MiB file with tags through /api/files to delivered; the library holds it as an import, byte for byte",
      async () => {
        await page.getByLabel(/Tags/).fill("lab, 2026");
        const bytes = randomBytes(SIZE);
        const sent = page.waitForResponse((r) => r.url().endsWith("/api/files"));
        await page.setInputFiles("#file", {
          name: FILE_NAME,
          mimeType: "application/octet-stream",
          buffer: bytes,
        });
        const item = page.locator(".upload").filter({ hasText: FILE_NAME });
        await item.locator(".badge", { hasText: "delivered" }).waitFor({ timeout: 30_000 });
        assert.equal((await sent).status(), 200, "the file went to /api/files");
        assert.equal(
          apiCalls().includes("POST /api/sealed-files"),
          false,
          "nothing went to /api/sealed-files",
        );
        assert.equal(await item.getAttribute("data-mode"), "import");
        assert.match((await item.locator(".upload-meta").textContent()) ?? "", /sent over TLS/);
        assert.equal(await item.getByRole("progressbar").getAttribute("aria-valuenow"), "100");

        // The import API carries no file name (digi.me names the file): it is the one import there is.
        const imported = await library.files({ source: "import" });
        assert.equal(imported.length, 1, "one file arrived through the import API");
        const [file] = imported;
        assert.ok(file);
        const received = await bytesOf(file);
        assert.equal(file.source, "import", "digi.me received it through its import API");
        assert.equal(file.postboxId, null, "no postbox on the import API");
        assert.equal(received.byteLength, SIZE);
        assert.ok(received.equals(bytes), "the library holds the uploaded bytes, byte for byte");
        assert.deepEqual((file.metadata as { tags?: string[] }).tags, ["lab", "2026"]);
        userId = file.userId;
      },
    );

    await t.test(
      "the user's accounts, as the emulator has them; no token in the Worker's answer",
      async () => {
        const users = (await (await fetch(`${emulator.libraryUrl}/api/users`)).json()) as {
          users: { id: string; accounts: { id: string; type: string; serviceProviderName: string }[] }[];
        };
        const expected = users.users.find((u) => u.id === userId)?.accounts ?? [];
        assert.ok(expected.length > 0, "the emulator gave the user an account");
        const rows = page.locator("#accounts .account");
        await rows.first().waitFor();
        const shown = await rows.evaluateAll((items) =>
          items.map((item) => ({
            id: item.getAttribute("data-account-id"),
            type: item.getAttribute("data-type"),
            text: item.textContent ?? "",
          })),
        );
        assert.deepEqual(
          shown.map((row) => row.id).sort(),
          expected.map((account) => account.id).sort(),
          "one row per account digi.me has for the user",
        );
        for (const account of expected) {
          const row = shown.find((r) => r.id === account.id);
          assert.equal(row?.type, account.type);
          assert.match(row?.text ?? "", new RegExp(account.serviceProviderName.replace(/\./g, "\\.")));
        }
        assert.equal(
          await page.locator("#accounts-status").isVisible(),
          false,
          "no status line beside the list",
        );

        assert.ok(accountsAnswer, "the page asked for the accounts once connected");
        const answer = await (await accountsAnswer).text();
        const tokens = tokensOf(userId);
        assert.ok(tokens.length > 0, "the user's tokens are known");
        assert.equal(
          tokens.some((token) => answer.includes(token)),
          false,
          "the answer holds none of the user's tokens",
        );
        assert.doesNotMatch(answer, /access_token|refresh_token/);

        assert.deepEqual([...problems], [], "no script errors or failed requests on the page");
        await mkdir(join(SPA_DIR, "test-results"), { recursive: true });
        await page.screenshot({ path: SCREENSHOT, fullPage: true });
        t.diagnostic(`screenshot: ${SCREENSHOT}`);
      },
    );

    await t.test(
      "delete my data: asked first; a failure in words; confirmed, deleted at digi.me and signed out",
      async () => {
        const deleteButton = page.getByRole("button", { name: "Delete my data at digi.me" });
        const dialog = page.getByRole("dialog", { name: "Delete your data at digi.me?" });
        const deletes = () => apiCalls().filter((call) => call === "DELETE /api/user").length;

        // Keep my data: the dialog closes, nothing is sent, nothing changes.
        await deleteButton.click();
        await dialog.waitFor();
        assert.match((await dialog.textContent()) ?? "", /every file in it.*can't be undone/s);
        await dialog.getByRole("button", { name: "Keep my data" }).click();
        await dialog.waitFor({ state: "hidden" });
        assert.equal(deletes(), 0, "no DELETE was sent");
        assert.equal((await library.files({ userId })).length, 1, "the library is as it was");
        assert.equal(await page.locator(".connected").isVisible(), true);

        // digi.me fails: said in words, still connected, nothing deleted.
        emulator.faults.set("user", { failNext: 1, statuses: [500] });
        await deleteButton.click();
        await dialog.getByRole("button", { name: "Delete my data" }).click();
        await page
          .getByRole("alert")
          .getByText("digi.me is unavailable, so your data there was not deleted.")
          .waitFor();
        assert.equal(deletes(), 1);
        assert.equal(await page.locator(".connected").isVisible(), true, "still connected");
        assert.equal((await library.files({ userId })).length, 1, "nothing was deleted");
        emulator.faults.clear();

        // Confirmed: digi.me deletes the user, the page is signed out.
        const deleted = page.waitForResponse((r) => r.url().endsWith("/api/user"));
        await deleteButton.click();
        await dialog.getByRole("button", { name: "Delete my data" }).click();
        assert.equal((await deleted).status(), 200);
        await page.getByRole("alert").getByText("Your data at digi.me was deleted.").waitFor();
        assert.equal(await page.locator("#notice").getAttribute("data-tone"), "ok");
        await page.getByRole("link", { name: "Connect your digi.me" }).waitFor();
        assert.equal(await page.locator("#account").isVisible(), false, "the account card is gone");
        assert.equal(await page.locator("#accounts .account").count(), 0);

        assert.deepEqual(await library.files({ userId }), [], "the library is empty for that user");
        const users = (await (await fetch(`${emulator.libraryUrl}/api/users`)).json()) as {
          users: { id: string }[];
        };
        assert.equal(
          users.users.some((u) => u.id === userId),
          false,
          "the user is gone at digi.me",
        );
        assert.deepEqual(tokensOf(userId), [], "and every token of theirs");
        const session = (await page.evaluate(async () => (await fetch("/api/session")).json())) as {
          authenticated: boolean;
        };
        assert.equal(session.authenticated, false, "the Worker forgot the session");
        assert.equal(
          (await browser.cookies(demoUrl)).some((c) => c.name === "digime_session"),
          false,
          "the session cookie is gone",
        );

        // The failed delete's 500 is the one error answer the page saw.
        const unexpected = problems.filter((p) => !/\/api\/user$|Failed to load resource/.test(p));
        assert.deepEqual(unexpected, [], "no other script error or failed request");
      },
    );

    await t.test("a sign-in that came back for the other kind of contract is said in words", async () => {
      await page.goto(new URL("/?digimeError=WRITE_API_MISMATCH", demoUrl).href);
      await page
        .getByRole("alert")
        .getByText("digi.me's answer to the sign-in was for another kind of contract.")
        .waitFor();
      assert.equal(new URL(page.url()).search, "", "the code is taken out of the address");
    });
  } finally {
    await context?.close().catch(() => {});
    await demo?.stop();
    await rm(work, { recursive: true, force: true });
  }
});
