/**
 * The demo in a real browser: the same stack as `pnpm start` (emulator + `wrangler dev` serving the
 * built SPA, started by `scripts/start.mjs`'s functions, on free ports and in temporary folders),
 * driven through Debian's Chromium with playwright-core. First, every answer (page, static assets,
 * API, errors) carries the security headers; then, in order, on one signed-in page:
 *
 * 1. a person's path in the default (sealed) mode: Connect, Allow on the consent page, choose a
 *    3 MiB file, watch the one progress bar go through encrypting and sending to 100% and
 *    `delivered`; the emulator's library holds exactly those bytes. Screenshot `test-results/demo.png`;
 * 2. sealed mode, what leaves the browser: a ~1 MiB file full of a random ASCII marker; the request
 *    body the browser sent to the Worker (taken in `page.route`) is the ciphertext's exact size
 *    and holds neither the marker (raw, hex, base64) nor the tags, while the library holds the file;
 * 3. plain mode (the switch off): the same capture does see the marker, so 2 cannot pass vacuously;
 * 4. the built app (`dist/`) holds no key material, no session secret and no token of this run;
 * 5. the app built for a cross-origin Worker, served from another origin in `ALLOWED_ORIGINS`, uploads;
 * 6. drag and drop, and failures in words (too large, an answer lost after digi.me stored the file:
 *    "may have arrived" and "Send again", digi.me gone, no session).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { BrowserContext, Cookie } from "playwright-core";
import { buildSpa, pickPort, readSessionSecret, SPA_DIR, SPA_DIST } from "../../../scripts/start.mjs";
import { libraryAt, linesOf, openDemoPage, signIn, startDemoIn } from "./support/demo-browser.ts";

const SCREENSHOT = join(SPA_DIR, "test-results", "demo.png");
const FILE_NAME = "holiday-photos.bin";
const SIZE = 3 * 1024 * 1024;
const LIMIT = 4 * 1024 * 1024;
const UPLOAD_ROUTES = /\/api\/(sealed-)?files$/;

declare global {
  interface Window {
    /** Every `aria-valuenow` the upload's progress bar showed, in order. */
    __progress?: number[];
    /** The phases (`sealing`, `sending`, `done`) the upload went through, in order, without repeats. */
    __phases?: string[];
  }
}

/** A request the browser sent to an upload route, as it left the browser. */
interface Captured {
  url: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

/** AES-256-CBC with PKCS#7: whole blocks, and always at least one byte of padding. */
const ciphertextSize = (plaintext: number) => (Math.floor(plaintext / 16) + 1) * 16;

/** `text` as it would look if the plaintext were sent hex- or base64-encoded, at any alignment. */
function encodingsOf(text: string): string[] {
  const found = [Buffer.from(text).toString("hex")];
  for (let offset = 0; offset < 3; offset++) {
    const bytes = Buffer.from(text.slice(offset));
    const whole = Math.floor(bytes.length / 3) * 4; // leave out the last group, which depends on what follows
    found.push(bytes.toString("base64").slice(0, whole), bytes.toString("base64url").slice(0, whole));
  }
  return found;
}

/** A file of `size` bytes made of `marker` lines (the last one cut). */
function markerFile(marker: string, size: number): Buffer {
  const line = Buffer.from(`${marker}\n`);
  return Buffer.concat(Array(Math.ceil(size / line.length)).fill(line)).subarray(0, size);
}

/** Every file under `dir`. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

test("demo in a browser: sealed by default, ciphertext only on the wire, plain on request, no secret in the built app", {
  timeout: 120_000,
}, async (t) => {
  const work = await mkdtemp(join(tmpdir(), "digime-demo-test-"));
  const settingsFile = join(work, "worker.env");
  let demo: Awaited<ReturnType<typeof startDemoIn>> | undefined;
  let context: BrowserContext | undefined;
  let appServer: Server | undefined;
  try {
    // Another origin for the app (step "from another origin"), listed in ALLOWED_ORIGINS.
    const appPort = await pickPort(0);
    const appOrigin = `http://127.0.0.1:${appPort}`;
    demo = await startDemoIn(work, {
      autoApprove: false,
      // Room for the 3 MiB file, not for the 5 MiB one below.
      settings: { MAX_UPLOAD_BYTES: String(LIMIT), ALLOWED_ORIGINS: appOrigin },
    });
    const { emulator } = demo;
    const demoUrl = demo.url;
    t.diagnostic(`demo at ${demo.url}, emulator at ${emulator.url}`);

    await t.test(
      "security headers on every answer: the page, its static assets, the API, errors",
      async () => {
        const html = await (await fetch(demoUrl)).text();
        const assets = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1] as string);
        assert.ok(
          assets.some((a) => a.endsWith(".js")) && assets.some((a) => a.endsWith(".css")),
          "the page links its script and style",
        );
        for (const path of ["", ...assets, "api/session", "no-such-file.js"]) {
          const response = await fetch(new URL(path, demoUrl));
          await response.arrayBuffer();
          const h = response.headers;
          const where = `/${path} (${response.status})`;
          assert.equal(h.get("x-content-type-options"), "nosniff", where);
          assert.equal(h.get("x-frame-options"), "DENY", where);
          assert.equal(h.get("referrer-policy"), "no-referrer", where);
          assert.match(h.get("content-security-policy") ?? "", /frame-ancestors 'none'/, where);
        }
        // The `_headers` file configures the asset server; it is not served.
        assert.equal((await fetch(new URL("_headers", demoUrl))).status, 404);
      },
    );

    const opened = await openDemoPage(work, demoUrl);
    context = opened.context;
    const { page, problems, requests } = opened;
    const browser = context;
    // Values a sign-in passes through the browser (the code and state of the callback URL).
    const seenInUrls = () =>
      requests.flatMap(({ url }) =>
        ["code", "state", "preauthorization_code"].flatMap((name) => url.searchParams.get(name) || []),
      );

    const { files: library, fromLibrary } = libraryAt(emulator.libraryUrl);
    const deliver = async (name: string, buffer: Buffer, mimeType = "application/octet-stream") => {
      await page.setInputFiles("#file", { name, mimeType, buffer });
      const item = page.locator(".upload").filter({ hasText: name });
      await item.locator(".badge", { hasText: "delivered" }).waitFor({ timeout: 30_000 });
      return item;
    };
    /** Runs `act` with every upload request the browser sends recorded, body included. */
    const capturing = async (act: () => Promise<void>): Promise<Captured[]> => {
      const captured: Captured[] = [];
      await page.route(UPLOAD_ROUTES, async (route) => {
        const request = route.request();
        captured.push({
          url: request.url(),
          headers: await request.allHeaders(),
          body: request.postDataBuffer(),
        });
        await route.continue();
      });
      try {
        await act();
      } finally {
        await page.unroute(UPLOAD_ROUTES);
      }
      return captured;
    };

    const connect = page.getByRole("link", { name: "Connect your digi.me" });
    // The Worker's cookies as Chromium keeps them, during the sign-in and once signed in.
    let pendingCookies: Cookie[] = [];
    let sessionCookies: Cookie[] = [];
    const sealSwitch = page.getByLabel("Encrypt on this device");
    const modeLine = page.locator("#mode-summary");

    await t.test(
      "sealed by default: connect through the consent page, 3 MiB with progress to delivered, byte for byte in the library",
      async () => {
        await page.goto(demoUrl);
        await connect.waitFor();

        // Sign in: the Worker sends the browser to the emulator's consent page; a person clicks Allow.
        await signIn(page, {
          demoUrl,
          onboardUrl: emulator.onboardUrl,
          onConsentPage: async () => {
            pendingCookies = await browser.cookies(demoUrl);
          },
        });
        sessionCookies = await browser.cookies(demoUrl);
        assert.equal(await connect.isVisible(), false, "the Connect button is gone once connected");

        // The default mode, said in one line next to the picker; the switch to leave it is on.
        assert.equal(await sealSwitch.isChecked(), true, "sealing on this device is the default");
        assert.match(
          (await modeLine.textContent()) ?? "",
          /^\s*Encrypted on this device before it leaves: the Worker only ever sees ciphertext\.\s*$/,
        );
        assert.equal(await linesOf(modeLine), 1, "the mode is said in one line");

        // A postbox contract: the switch is offered, and the account card is there (with the
        // accounts digi.me lists for this contract: none, its files go to the postbox).
        assert.equal(await page.locator("#seal-switch").isVisible(), true, "the switch is offered");
        await page.locator("#accounts-status", { hasText: "digi.me lists no account for you" }).waitFor();
        assert.equal(await page.getByRole("button", { name: "Delete my data at digi.me" }).isVisible(), true);

        // Watch the progress bar and the phase from the moment they appear.
        await page.evaluate(() => {
          window.__progress = [];
          window.__phases = [];
          const list = document.getElementById("uploads");
          if (!list) throw new Error("#uploads is missing");
          new MutationObserver((records) => {
            for (const record of records) {
              const target = record.target as Element;
              if (record.attributeName === "data-phase") {
                const phase = target.getAttribute("data-phase") ?? "";
                if (window.__phases?.at(-1) !== phase) window.__phases?.push(phase);
              }
              const value = target.getAttribute?.("aria-valuenow");
              if (target.getAttribute?.("role") === "progressbar" && value !== null)
                window.__progress?.push(Number(value));
            }
          }).observe(list, {
            subtree: true,
            attributes: true,
            attributeFilter: ["aria-valuenow", "data-phase"],
          });
        });

        await page.getByLabel(/Tags/).fill("holiday, 2026");
        const bytes = randomBytes(SIZE);
        const started = Date.now();
        const sent = page.waitForResponse((r) => r.url().endsWith("/api/sealed-files"));
        const item = await deliver(FILE_NAME, bytes);
        assert.equal((await sent).status(), 200, "the file went to /api/sealed-files");
        assert.equal(await item.getAttribute("data-mode"), "sealed");
        assert.match((await item.locator(".upload-meta").textContent()) ?? "", /encrypted here/);
        const progressbar = item.getByRole("progressbar");
        assert.equal(await progressbar.getAttribute("aria-valuenow"), "100", "the progress bar ends at 100%");
        assert.equal((await item.locator(".progress-text").textContent())?.trim(), "100%");
        assert.equal(await item.getAttribute("data-status"), "delivered");
        const seen = await page.evaluate(() => window.__progress ?? []);
        const phases = await page.evaluate(() => window.__phases ?? []);
        assert.ok(seen.includes(100), `progress reached 100% (seen: ${seen.join(", ")})`);
        assert.ok(
          seen.every((value, i) => i === 0 || value >= (seen[i - 1] ?? 0)),
          `progress never goes back (${seen.join(", ")})`,
        );
        assert.ok(
          seen.some((value) => value > 0 && value <= 20),
          `encrypting fills the first fifth of the bar (seen: ${seen.join(", ")})`,
        );
        assert.deepEqual(phases, ["sealing", "sending", "done"], "encrypting, then sending, then done");
        t.diagnostic(`upload took ${Date.now() - started} ms; progress seen: ${seen.join(", ")}%`);

        // The emulator's library decrypted what digi.me received: it must be the very bytes chosen.
        const { file, bytes: received } = await fromLibrary(FILE_NAME);
        assert.equal(received.byteLength, SIZE);
        assert.ok(received.equals(bytes), "the library holds the uploaded bytes, byte for byte");
        assert.deepEqual((file.metadata as { tags?: string[] }).tags, ["holiday", "2026"]);
        assert.equal((file.metadata as { mimeType?: string }).mimeType, "application/octet-stream");

        assert.deepEqual([...problems], [], "no script errors on the page");

        await mkdir(join(SPA_DIR, "test-results"), { recursive: true });
        await page.screenshot({ path: SCREENSHOT, fullPage: true });
        t.diagnostic(`screenshot: ${SCREENSHOT}`);
        console.log(`screenshot of the finished page: ${SCREENSHOT}`);
      },
    );

    await t.test(
      "the cookies as Chromium keeps them: HttpOnly, SameSite=Lax, Path=/, host-only; plain names on http loopback",
      () => {
        // The demo is served over http on 127.0.0.1, where `__Host-` and Secure cookies are not
        // kept by every client: the Worker uses them only on https (packages/edge-worker test
        // cookie-scope.test.ts checks those), and plain names here.
        const host = new URL(demoUrl).hostname;
        const pending = pendingCookies.find((c) => c.name === "digime_auth");
        const session = sessionCookies.find((c) => c.name === "digime_session");
        assert.ok(
          pending,
          `the pending sign-in cookie during the sign-in (${pendingCookies.map((c) => c.name)})`,
        );
        assert.ok(session, `the session cookie once connected (${sessionCookies.map((c) => c.name)})`);
        for (const cookie of [pending, session]) {
          assert.equal(cookie.httpOnly, true, `${cookie.name} is HttpOnly`);
          assert.equal(cookie.sameSite, "Lax", `${cookie.name} is SameSite=Lax`);
          assert.equal(cookie.path, "/", `${cookie.name} has Path=/`);
          assert.equal(cookie.domain, host, `${cookie.name} is host-only (no Domain)`);
          assert.equal(cookie.secure, false, `${cookie.name} is not Secure on http`);
          assert.ok(cookie.expires > Date.now() / 1000, `${cookie.name} has a lifetime`);
        }
        assert.equal(
          sessionCookies.some((c) => c.name === "digime_auth"),
          false,
          "the pending sign-in cookie is gone once connected",
        );
        assert.equal(
          [...pendingCookies, ...sessionCookies].some((c) => c.name.startsWith("__Host-")),
          false,
          "no __Host- cookie on http",
        );
      },
    );

    const marker = `DIGIME-EDGE-PLAINTEXT-MARKER-${randomBytes(12).toString("hex")}`;
    const markerSize = 1024 * 1024 + 5; // not a whole number of blocks: the padding is counted too
    const markerBytes = markerFile(marker, markerSize);
    const secretTag = `private-tag-${randomBytes(6).toString("hex")}`;

    await t.test(
      "sealed: the browser's request to the Worker is ciphertext of the right size, without the marker",
      async () => {
        const name = "sealed-marker.txt";
        await page.getByLabel(/Tags/).fill(secretTag);
        let answer: { bytes?: number } = {};
        const captured = await capturing(async () => {
          const response = page.waitForResponse((r) => r.url().endsWith("/api/sealed-files"));
          const item = await deliver(name, markerBytes, "text/plain");
          answer = (await (await response).json()) as { bytes?: number };
          assert.equal(await item.getAttribute("data-mode"), "sealed");
        });
        assert.equal(captured.length, 1, `one upload request: ${captured.map((c) => c.url).join(", ")}`);
        const [request] = captured;
        assert.ok(request);
        assert.ok(request.url.endsWith("/api/sealed-files"), `sealed route: ${request.url}`);
        const body = request.body;
        assert.ok(body && body.byteLength > 0, "the captured body is not empty");
        assert.equal(body.byteLength, ciphertextSize(markerSize), "the body is the ciphertext's exact size");
        assert.equal(answer.bytes, body.byteLength, "the Worker forwarded as many bytes as were captured");

        const wire = Buffer.concat([
          body,
          Buffer.from(JSON.stringify(request.headers)),
          Buffer.from(request.url),
        ]);
        for (const needle of [marker, "DIGIME-EDGE-PLAINTEXT-MARKER", ...encodingsOf(marker), secretTag]) {
          assert.equal(wire.includes(needle), false, `the request holds ${needle.slice(0, 40)}… in clear`);
        }
        // A whole file is never sent twice in clear either: no 1 KiB run of the plaintext in the body.
        assert.equal(body.includes(markerBytes.subarray(4096, 5120)), false);

        const { file, bytes } = await fromLibrary(name);
        assert.ok(bytes.equals(markerBytes), "the library holds the file byte for byte, marker included");
        assert.ok(bytes.includes(marker));
        assert.deepEqual((file.metadata as { tags?: string[] }).tags, [secretTag]);
        assert.equal((file.metadata as { mimeType?: string }).mimeType, "text/plain");
      },
    );

    await t.test(
      "plain (switch off): the same capture sees the marker, so the sealed check is not vacuous",
      async () => {
        const name = "plain-marker.txt";
        await sealSwitch.uncheck();
        assert.match((await modeLine.textContent()) ?? "", /the Worker encrypts it on the way/);
        assert.equal(await modeLine.getAttribute("data-mode"), "plain");
        try {
          const captured = await capturing(async () => {
            const item = await deliver(name, markerBytes, "text/plain");
            assert.equal(await item.getAttribute("data-mode"), "plain");
            assert.match((await item.locator(".upload-meta").textContent()) ?? "", /encrypted by the Worker/);
          });
          assert.equal(captured.length, 1);
          const [request] = captured;
          assert.ok(request);
          assert.ok(request.url.endsWith("/api/files"), `plain route: ${request.url}`);
          const body = request.body;
          assert.ok(body && body.byteLength > markerSize, "the whole multipart body was captured");
          assert.ok(body.includes(marker), "in plain mode the marker is in the request");
          assert.ok(body.includes(markerBytes), "the whole file is in it, in clear");
          const { bytes } = await fromLibrary(name);
          assert.ok(bytes.equals(markerBytes));
        } finally {
          await sealSwitch.check();
        }
        assert.equal(await modeLine.getAttribute("data-mode"), "sealed");
      },
    );

    await t.test("the built app holds no key material, session secret or token of this run", async () => {
      const files = await filesUnder(SPA_DIST);
      assert.ok(files.some((f) => f.endsWith(".js")) && files.some((f) => f.endsWith(".html")));
      const built = (await Promise.all(files.map((f) => readFile(f)))).map((b) => b.toString("latin1"));
      const text = built.join("\n");

      const pemBodies = (pem: string) =>
        pem
          .split(/\r?\n/)
          .filter((line) => line.trim() !== "" && !line.startsWith("-----"))
          .map((line) => line.trim());
      const contractKey = pemBodies(emulator.devContract?.privateKey ?? "");
      assert.ok(contractKey.length > 10, "the dev contract's key is known");
      const db = emulator.store.db;
      const column = (sql: string) =>
        (db.prepare(sql).all() as Record<string, unknown>[]).map((row) => String(Object.values(row)[0]));
      const postboxKeys = column("SELECT private_key FROM postboxes").flatMap(pemBodies);
      const tokens = [
        ...column("SELECT value FROM tokens"),
        ...column("SELECT code FROM authorization_codes"),
        ...column("SELECT code FROM preauthorizations"),
        ...seenInUrls(),
        ...(await browser.cookies()).map((c) => c.value),
      ].filter((v) => v.length >= 16);
      assert.ok(tokens.length >= 4, `tokens of this run were collected (${tokens.length})`);
      const sessionSecret = readSessionSecret(settingsFile);
      assert.ok(sessionSecret, "the run's SESSION_SECRET is known");

      assert.equal(/PRIVATE KEY/.test(text), false, "no PEM private key label");
      const leaks = [
        ...contractKey.filter((line) => text.includes(line)).map(() => "a line of the contract key"),
        ...postboxKeys.filter((line) => text.includes(line)).map(() => "a line of a postbox key"),
        ...(text.includes(sessionSecret) ? ["the session secret"] : []),
        ...tokens.filter((v) => text.includes(v)).map((v) => `a token ${v.slice(0, 6)}…`),
      ];
      assert.deepEqual(leaks, [], `nothing secret in ${files.length} built files`);
      t.diagnostic(
        `scanned ${files.length} files (${text.length} bytes) for ${contractKey.length + postboxKeys.length} key lines, the session secret and ${tokens.length} tokens`,
      );
    });

    await t.test(
      "from another origin in ALLOWED_ORIGINS: the app built for a cross-origin Worker uploads",
      async () => {
        // The app built with VITE_WORKER_URL, served by a plain static server on another origin.
        const crossDist = join(work, "cross-origin-dist");
        await buildSpa({ outDir: crossDist, workerUrl: demoUrl });
        const types: Record<string, string> = {
          ".html": "text/html",
          ".js": "text/javascript",
          ".css": "text/css",
        };
        appServer = createServer((req, res) => {
          const path = new URL(req.url ?? "/", appOrigin).pathname;
          const file = join(crossDist, path === "/" ? "index.html" : path);
          if (!file.startsWith(crossDist)) return void res.writeHead(404).end();
          readFile(file).then(
            (body) => {
              res.writeHead(200, {
                "Content-Type": types[file.slice(file.lastIndexOf("."))] ?? "image/svg+xml",
              });
              res.end(body);
            },
            () => res.writeHead(404).end(),
          );
        });
        await new Promise<void>((resolve) => appServer?.listen(appPort, "127.0.0.1", resolve));

        const other = await browser.newPage();
        const otherProblems: string[] = [];
        other.on("pageerror", (error) => otherProblems.push(`pageerror: ${error.message}`));
        other.on("response", (response) => {
          if (response.status() >= 400) otherProblems.push(`HTTP ${response.status()} for ${response.url()}`);
        });
        try {
          await other.goto(`${appOrigin}/`);
          // The session cookie (same site: 127.0.0.1) goes along with the credentialed CORS requests.
          await other.getByText("Connected. Files you send land in your library.").waitFor();
          const name = "cross-origin.txt";
          await other.setInputFiles("#file", {
            name,
            mimeType: "text/plain",
            buffer: Buffer.from("from another origin"),
          });
          await other
            .locator(".upload")
            .filter({ hasText: name })
            .locator(".badge", { hasText: "delivered" })
            .waitFor({ timeout: 30_000 });
          assert.equal((await fromLibrary(name)).bytes.toString(), "from another origin");
          assert.deepEqual(otherProblems, [], "no failed request or script error on the other origin");
        } finally {
          await other.close();
        }
      },
    );

    await t.test("drag and drop, and failures in words", async () => {
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
      const { bytes: dropped } = await fromLibrary("dropped.txt");
      assert.equal(dropped.toString(), "dropped, not chosen");

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

      // An answer lost after digi.me stored the file: neither the Worker nor the page sends it again by
      // itself; the file "may have arrived", and sending it again is the person's choice.
      const copies = async (name: string) => (await library()).filter((f) => f.fileName === name).length;
      emulator.faults.set("postbox", { loseAnswerNext: 1 });
      await page.setInputFiles("#file", {
        name: "maybe.txt",
        mimeType: "text/plain",
        buffer: Buffer.from("stored, answer lost"),
      });
      const maybe = page.locator(".upload").filter({ hasText: "maybe.txt" });
      await maybe.locator(".badge", { hasText: "may have arrived" }).waitFor({ timeout: 30_000 });
      assert.match(
        (await maybe.locator(".upload-problem").textContent()) ?? "",
        /This file may have arrived.*sending it again may save a second copy\./,
      );
      assert.equal(await maybe.locator(".badge", { hasText: "failed" }).count(), 0, "not shown as failed");
      assert.equal(await copies("maybe.txt"), 1, "digi.me stored it once, and nothing sent it again");
      const sendAgain = maybe.getByRole("button", { name: "Send maybe.txt again" });
      assert.equal((await sendAgain.textContent())?.trim(), "Send again");
      await sendAgain.click();
      await maybe.locator(".badge", { hasText: "delivered" }).waitFor({ timeout: 30_000 });
      assert.equal(await copies("maybe.txt"), 2, "sent again on request: a second copy");

      // digi.me unavailable: the emulator is gone. In workerd the Worker cannot tell a refused
      // connection from a lost answer (see the edge-worker README), so it may say either.
      await emulator.close();
      await page.setInputFiles("#file", {
        name: "notes.txt",
        mimeType: "text/plain",
        buffer: Buffer.from("hello"),
      });
      const notes = page.locator(".upload").filter({ hasText: "notes.txt" });
      await notes.locator(".badge", { hasText: /failed|may have arrived/ }).waitFor({ timeout: 30_000 });
      assert.match(
        (await notes.locator(".upload-problem").textContent()) ?? "",
        /digi\.me is unavailable right now\. Nothing was saved\.|This file may have arrived/,
      );

      // No session: the cookie is gone; Retry gets 401 and the page asks to connect again.
      await browser.clearCookies();
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

      // Back from a sign-in finished too late: the Worker sends `?digimeError=SIGN_IN_EXPIRED`.
      await page.goto(new URL("/?digimeError=SIGN_IN_EXPIRED", demoUrl).href);
      await page.getByRole("alert").getByText("Connecting took too long, so it was not completed.").waitFor();
      assert.equal(new URL(page.url()).search, "", "the code is taken out of the address");
    });
  } finally {
    await context?.close().catch(() => {});
    appServer?.close();
    await demo?.stop();
    await rm(work, { recursive: true, force: true });
  }
});
