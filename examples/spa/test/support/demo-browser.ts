/**
 * What the SPA's browser tests share: the browser, the emulator's library (what digi.me holds, read
 * through its JSON API), the page's problems (script errors, failed requests), and signing in
 * through the emulator's consent page as a person does.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LibraryFileJson } from "@digime-edge/emulator";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { launchChromium } from "../../../../scripts/chromium.mjs";
import { startDemo } from "../../../../scripts/start.mjs";

/** A file of the emulator's library with its bytes (decrypted, for a postbox write). */
export interface LibraryEntry {
  file: LibraryFileJson;
  bytes: Buffer;
}

/** The emulator's library, read as a test does. */
export interface Library {
  /** Its files, newest first (`userId`, `source`, … as `GET /library/api/files` takes them). */
  files(query?: Record<string, string>): Promise<LibraryFileJson[]>;
  /** The file named `name`, with its bytes; fails the test when there is none. */
  fromLibrary(name: string): Promise<LibraryEntry>;
}

/**
 * The bytes of a library file, as digi.me holds them.
 *
 * @param file - A file the library listed.
 * @returns Its bytes.
 */
export async function bytesOf(file: LibraryFileJson): Promise<Buffer> {
  return Buffer.from(await (await fetch(file.url)).arrayBuffer());
}

/**
 * The library of the emulator at `libraryUrl`.
 *
 * @param libraryUrl - The emulator's `libraryUrl`.
 * @returns Its reader.
 */
export function libraryAt(libraryUrl: string): Library {
  const files = async (query: Record<string, string> = {}) => {
    const url = new URL(`${libraryUrl}/api/files`);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const answer = (await (await fetch(url)).json()) as { files: LibraryFileJson[] };
    return answer.files;
  };
  return {
    files,
    async fromLibrary(name) {
      const file = (await files()).find((f) => f.fileName === name);
      assert.ok(file, `the library has ${name}`);
      return { file, bytes: await bytesOf(file) };
    },
  };
}

/**
 * Records what goes wrong on `page`: script errors, console errors of the demo's own page, and
 * responses with an error status.
 *
 * @param page - The page.
 * @param demoUrl - The demo's origin (other pages' console errors, such as the consent page's missing
 *   favicon, are not the app's).
 * @returns The list, which grows as things happen.
 */
export function watchProblems(page: Page, demoUrl: string): string[] {
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && message.location().url.startsWith(demoUrl)) {
      problems.push(`console: ${message.text()} (${message.location().url})`);
    }
  });
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  return problems;
}

/** A request the page sent, as it left the page. */
export interface SentRequest {
  method: string;
  url: URL;
}

/**
 * Starts Chromium with a fresh profile in `work` (passed as userDataDir: Playwright adds
 * --user-data-dir and --headless) and opens its page, its problems watched and the requests it
 * sends recorded. The caller closes the browser; if the page cannot be opened, it is closed here.
 *
 * @param work - The test's temporary folder.
 * @param demoUrl - The demo's origin, for {@link watchProblems}.
 * @returns The browser, its page, the page's problems and its requests (both lists grow).
 */
export async function openDemoPage(
  work: string,
  demoUrl: string,
): Promise<{ context: BrowserContext; page: Page; problems: string[]; requests: SentRequest[] }> {
  const context = await launchChromium(join(work, "profile"), { viewport: { width: 880, height: 1000 } });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const requests: SentRequest[] = [];
    page.on("request", (request) => requests.push({ method: request.method(), url: new URL(request.url()) }));
    return { context, page, problems: watchProblems(page, demoUrl), requests };
  } catch (error) {
    await context.close().catch(() => {});
    throw error;
  }
}

/**
 * Signs in as a person does: Connect, the Worker sends the browser to the emulator's consent page,
 * Allow, back on the demo, connected.
 *
 * @param page - The page, at the demo and signed out.
 * @param options - The demo's URL, the emulator's onboarding URL, and what to do on the consent page
 *   before Allow is clicked (look at the cookies, say).
 */
export async function signIn(
  page: Page,
  options: { demoUrl: string; onboardUrl: string; onConsentPage?: () => Promise<void> },
): Promise<void> {
  await page.getByRole("link", { name: "Connect your digi.me" }).click();
  await page.waitForURL((url) => url.href.startsWith(`${options.onboardUrl}authorize`));
  await options.onConsentPage?.();
  await page.getByRole("button", { name: "Allow" }).click();
  await page.waitForURL(options.demoUrl);
  await page.getByText("Connected.").waitFor();
}

/**
 * How many lines of text an element takes on the page.
 *
 * @param element - The element.
 * @returns Its height in lines of its line height.
 */
export function linesOf(element: Locator): Promise<number> {
  return element.evaluate((el) => {
    const { height } = el.getBoundingClientRect();
    return Math.round(height / Number.parseFloat(getComputedStyle(el).lineHeight));
  });
}

/** The demo's options a browser test chooses; the ports and folders are {@link startDemoIn}'s. */
export type DemoTestOptions = Pick<
  NonNullable<Parameters<typeof startDemo>[0]>,
  "autoApprove" | "writeApi" | "settings"
>;

/**
 * Starts the demo's stack (`scripts/start.mjs`'s `startDemo`) for a test: on free ports, its
 * emulator data, Worker settings (`worker.env`) and Worker state in the test's temporary folder,
 * with a new session secret. The caller stops it.
 *
 * @param work - The test's temporary folder.
 * @param options - What else the test chooses (consent by a person, the write API, Worker settings).
 * @returns The running demo.
 */
export function startDemoIn(work: string, options: DemoTestOptions = {}): ReturnType<typeof startDemo> {
  return startDemo({
    workerPort: 0,
    emulatorPort: 0,
    dataDir: join(work, "emulator"),
    settingsFile: join(work, "worker.env"),
    persistTo: join(work, "worker-state"),
    keepSessionSecret: false,
    ...options,
  });
}

/** A signed-in page of a demo started for a test, and what comes with it. */
export interface SignedInDemo {
  /** The test's temporary folder. */
  work: string;
  /** The running demo. */
  demo: Awaited<ReturnType<typeof startDemo>>;
  /** The page, signed in. */
  page: Page;
  /** The page's problems ({@link watchProblems}). */
  problems: string[];
  /** The requests the page sent. */
  requests: SentRequest[];
  /** The emulator's library. */
  library: Library;
}

/**
 * Runs `body` on a signed-in page of a demo started for it: a new temporary folder (`prefix`…),
 * the stack ({@link startDemoIn}), Chromium on it ({@link openDemoPage}), sign-in ({@link signIn}).
 * Afterwards, whatever happened, the browser is closed, the demo stopped and the folder deleted.
 *
 * @param prefix - The temporary folder's name prefix.
 * @param options - The demo's options.
 * @param body - The test's steps.
 */
export async function withSignedInDemo(
  prefix: string,
  options: DemoTestOptions,
  body: (demo: SignedInDemo) => Promise<void>,
): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), prefix));
  let demo: Awaited<ReturnType<typeof startDemo>> | undefined;
  let context: BrowserContext | undefined;
  try {
    demo = await startDemoIn(work, options);
    const opened = await openDemoPage(work, demo.url);
    context = opened.context;
    const { page, problems, requests } = opened;
    await page.goto(demo.url);
    await signIn(page, { demoUrl: demo.url, onboardUrl: demo.emulator.onboardUrl });
    await body({ work, demo, page, problems, requests, library: libraryAt(demo.emulator.libraryUrl) });
  } finally {
    await context?.close().catch(() => {});
    await demo?.stop();
    await rm(work, { recursive: true, force: true });
  }
}
