/**
 * The upload flow: files chosen or dropped join a queue and are sent one at a time by the upload
 * mode chosen with them, their entries in the sent list following each step. A paused upload keeps
 * its place: the files after it wait until it is resumed (or cancelled).
 */
import { EdgeClientError } from "@digime-edge/edge-worker/client";
import { parseTags } from "./format.ts";
import { describeError } from "./messages.ts";
import { PauseSwitch } from "./pause-switch.ts";
import { BADGE, type Entry, renderEntry, setProgress, setStatus } from "./sent-list.ts";
import { session, setConnection } from "./session.ts";
import { announce, showNotice, ui } from "./ui.ts";

const queue: Entry[] = [];
let sending = false;
let sentCount = 0;

/** Queues `files` with the tags and upload mode chosen now, and starts sending. */
export function addFiles(files: Iterable<File>): void {
  if (session.connection !== "signed-in") {
    showNotice(describeError(new EdgeClientError(401, "UNAUTHENTICATED", "not signed in")));
    return;
  }
  const tags = parseTags(ui.tags.value);
  for (const file of files) {
    const entry: Entry = {
      file,
      tags,
      method: session.method,
      status: "queued",
      controller: new AbortController(),
      pause: new PauseSwitch(),
      view: renderEntry(file, tags, session.method),
    };
    entry.view.cancel.addEventListener("click", () => {
      entry.controller.abort();
      if (entry.status === "queued") setStatus(entry, "cancelled");
    });
    entry.view.pause.addEventListener("click", () => {
      const paused = entry.status === "sending";
      if (!paused && entry.status !== "paused") return;
      entry.pause.set(paused);
      setStatus(entry, paused ? "paused" : "sending");
      announce(`${file.name}: ${paused ? "paused" : "resumed"}`);
    });
    entry.view.retry.addEventListener("click", () => {
      if (session.connection !== "signed-in") {
        showNotice(describeError(new EdgeClientError(401, "UNAUTHENTICATED", "not signed in")));
        return;
      }
      entry.controller = new AbortController();
      entry.pause = new PauseSwitch();
      setStatus(entry, "queued");
      queue.push(entry);
      void sendQueued();
    });
    setStatus(entry, "queued");
    ui.uploads.prepend(entry.view.item);
    queue.push(entry);
    sentCount++;
  }
  ui.empty.hidden = sentCount > 0;
  ui.count.hidden = sentCount === 0;
  ui.count.textContent = String(sentCount);
  void sendQueued();
}

/** Sends queued files one at a time, so each gets the whole connection and an honest progress bar. */
async function sendQueued(): Promise<void> {
  if (sending) return;
  sending = true;
  try {
    for (let entry = queue.shift(); entry; entry = queue.shift()) {
      if (entry.status === "queued") await send(entry);
    }
  } finally {
    sending = false;
  }
}

/** Sends one entry, following its progress and saying how it ended. */
async function send(entry: Entry): Promise<void> {
  const { file, tags } = entry;
  setStatus(entry, "sending");
  const firstPhase = entry.method.mode === "sealed" ? "sealing" : "sending";
  setProgress(entry, 0, firstPhase);
  // The bar never goes back: should the client seal and send once more (the Worker had to refresh
  // its token after the body was spent), it waits where it was until the new attempt catches up.
  let shown = 0;
  try {
    const result = await entry.method.upload({
      file,
      descriptor: tags.length > 0 ? { tags } : undefined,
      signal: entry.controller.signal,
      pause: entry.pause,
      onProgress: ({ phase, done }) => {
        if (done === undefined) {
          setProgress(entry, undefined, phase);
        } else {
          shown = Math.max(shown, Math.min(100, Math.floor(done * 100)));
          setProgress(entry, shown, phase);
        }
      },
    });
    setStatus(entry, result.status);
    announce(`${file.name}: ${result.status}`);
  } catch (error) {
    if (error instanceof EdgeClientError && error.code === "ABORTED") {
      setStatus(entry, "cancelled");
      announce(`${file.name}: cancelled`);
      return;
    }
    const problem = describeError(error);
    const status = problem.mayHaveArrived ? "unknown" : "failed";
    setStatus(entry, status, problem);
    announce(`${file.name}: ${BADGE[status]}. ${problem.title}`);
    if (problem.signedOut) {
      setConnection("signed-out");
      showNotice(problem);
    }
  }
}
