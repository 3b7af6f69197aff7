/**
 * A resumable upload reads parts of the file for its `resumeId` before tus starts: a file that can
 * no longer be read there (moved or changed on disk since it was chosen: the browser's
 * `NotReadableError`) fails as `FILE_UNREADABLE`, with its own words, in every mode; a cancelled
 * upload fails as `ABORTED`, before or after that read. Nothing is asked of the Worker.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type EdgeClient, EdgeClientError } from "@digime-edge/edge-worker/client";
import { describeError } from "../src/messages.ts";
import { PauseSwitch } from "../src/pause-switch.ts";
import { createUploadMethods, RESUMABLE_THRESHOLD, type UploadMode } from "../src/upload-modes.ts";

const MODES: UploadMode[] = ["sealed", "plain", "import"];
const CONTENT = new Uint8Array(RESUMABLE_THRESHOLD + 1);

/** A large file whose reads fail as a file moved on disk does in a browser. */
class UnreadableFile extends File {
  reads = 0;
  override slice(): Blob {
    this.reads++;
    throw new DOMException("The file could not be read.", "NotReadableError");
  }
}

/** A large file that runs `onRead` as its parts are taken to be read. */
class WatchedFile extends File {
  readonly onRead: () => void;
  constructor(onRead: () => void) {
    super([CONTENT], "big.bin");
    this.onRead = onRead;
  }
  override slice(start?: number, end?: number): Blob {
    this.onRead();
    return super.slice(start, end);
  }
}

/** A client that fails the test if the upload gets as far as using it. */
const untouchedClient = new Proxy({} as EdgeClient, {
  get: (_, name) => assert.fail(`the client was used (${String(name)})`),
});

const upload = (mode: UploadMode, file: File, signal = new AbortController().signal) =>
  createUploadMethods(untouchedClient, "http://127.0.0.1:9")[mode].upload({
    file,
    descriptor: undefined,
    onProgress: () => {},
    signal,
    pause: new PauseSwitch(),
  });

/** What `promise` rejected with: an `EdgeClientError`. */
async function failure(promise: Promise<unknown>): Promise<EdgeClientError> {
  const error = await promise.then(
    () => assert.fail("the upload succeeded"),
    (error: unknown) => error,
  );
  assert.ok(error instanceof EdgeClientError, `an EdgeClientError, not ${String(error)}`);
  return error;
}

test("a file that cannot be read for its resume id fails as FILE_UNREADABLE, in every mode", async () => {
  for (const mode of MODES) {
    const file = new UnreadableFile([CONTENT], "big.bin");
    const error = await failure(upload(mode, file));
    assert.equal(error.code, "FILE_UNREADABLE", mode);
    assert.match(error.message, /NotReadableError/);
    assert.ok(file.reads > 0, `${mode}: the file was read`);
    const problem = describeError(error);
    assert.equal(problem.title, "The file could not be read.");
    assert.match(problem.hint ?? "", /choose it again/);
  }
});

test("an upload cancelled before its resume id is read fails as ABORTED, reading nothing", async () => {
  const controller = new AbortController();
  controller.abort();
  const file = new UnreadableFile([CONTENT], "big.bin");
  assert.equal((await failure(upload("sealed", file, controller.signal))).code, "ABORTED");
  assert.equal(file.reads, 0);
});

test("an upload cancelled while its resume id is read fails as ABORTED", async () => {
  for (const mode of MODES) {
    const controller = new AbortController();
    const file = new WatchedFile(() => controller.abort());
    assert.equal((await failure(upload(mode, file, controller.signal))).code, "ABORTED", mode);
  }
});
