/**
 * The list of sent files: one entry per upload, with its badge, progress bar, problem, and the
 * buttons to cancel it, pause and resume it (a resumable upload), or send it again.
 */
import { h } from "./dom.ts";
import { formatBytes } from "./format.ts";
import type { Problem } from "./messages.ts";
import type { PauseSwitch } from "./pause-switch.ts";
import { isResumable, type UploadMethod, type UploadProgress } from "./upload-modes.ts";

/** `unknown`: the upload failed, yet the file may be in the library (`DIGIME_OUTCOME_UNKNOWN`). */
export type Status = "queued" | "sending" | "paused" | "delivered" | "failed" | "unknown" | "cancelled";

/** What the badge says for each status. */
export const BADGE: Record<Status, string> = {
  queued: "queued",
  sending: "sending",
  paused: "paused",
  delivered: "delivered",
  failed: "failed",
  unknown: "may have arrived",
  cancelled: "cancelled",
};

/** One upload: its file, how it travels, where it stands, and its view. */
export interface Entry {
  file: File;
  tags: string[];
  method: UploadMethod;
  status: Status;
  controller: AbortController;
  /** Pauses and resumes the upload, when it is resumable. */
  pause: PauseSwitch;
  view: EntryView;
}

/** The elements of one entry in the list. */
export interface EntryView {
  item: HTMLLIElement;
  badge: HTMLElement;
  bar: HTMLElement;
  progress: HTMLElement;
  progressText: HTMLElement;
  problem: HTMLElement;
  cancel: HTMLButtonElement;
  retry: HTMLButtonElement;
  /** Pause or Resume; only for a resumable upload. */
  pause: HTMLButtonElement;
}

/** Builds the list item of a file about to be sent. */
export function renderEntry(file: File, tags: string[], mode: UploadMethod): EntryView {
  const extension = /\.([A-Za-z0-9]{1,4})$/.exec(file.name)?.[1]?.toUpperCase() ?? "FILE";
  const meta = h("p", { class: "upload-meta" }, `${formatBytes(file.size)} · ${mode.label}`);
  for (const tag of tags) meta.append(h("span", { class: "tag" }, tag));
  const badge = h("span", { class: "badge" });
  const cancel = h(
    "button",
    { type: "button", class: "icon-button", "aria-label": `Cancel ${file.name}` },
    "×",
  );
  const retry = h(
    "button",
    { type: "button", class: "button small", "aria-label": `Send ${file.name} again` },
    "Retry",
  );
  const pause = h("button", { type: "button", class: "button small" });
  const bar = h("div", { class: "progress-bar" });
  const progress = h(
    "div",
    {
      class: "progress",
      role: "progressbar",
      "aria-label": `Upload of ${file.name}`,
      "aria-valuemin": "0",
      "aria-valuemax": "100",
      "aria-valuenow": "0",
    },
    bar,
  );
  const progressText = h("span", { class: "progress-text" }, "0%");
  const problem = h("p", { class: "upload-problem" });
  problem.hidden = true;
  const item = h(
    "li",
    { class: "upload", "data-mode": mode.mode },
    h(
      "div",
      { class: "upload-row" },
      h("span", { class: "file-icon", "aria-hidden": "true" }, extension),
      h("div", { class: "upload-main" }, h("p", { class: "upload-name", title: file.name }, file.name), meta),
      badge,
      pause,
      retry,
      cancel,
    ),
    h("div", { class: "progress-row" }, progress, progressText),
    problem,
  );
  return { item, badge, bar, progress, progressText, problem, cancel, retry, pause };
}

/** Sets an entry's status: its badge, buttons, problem and progress text. */
export function setStatus(entry: Entry, status: Status, problem?: Problem): void {
  entry.status = status;
  const { view } = entry;
  view.item.dataset.status = status;
  view.badge.textContent = BADGE[status];
  view.cancel.hidden = status !== "queued" && status !== "sending" && status !== "paused";
  view.pause.hidden = !isResumable(entry.file) || (status !== "sending" && status !== "paused");
  const verb = status === "paused" ? "Resume" : "Pause";
  view.pause.textContent = verb;
  view.pause.setAttribute("aria-label", `${verb} ${entry.file.name}`);
  view.retry.hidden = !(
    status === "cancelled" ||
    status === "unknown" ||
    (status === "failed" && !problem?.final)
  );
  view.retry.textContent = status === "unknown" ? "Send again" : "Retry";
  view.problem.hidden = !problem;
  view.problem.textContent = problem ? `${problem.title} ${problem.hint ?? ""}`.trim() : "";
  if (status === "delivered") setProgress(entry, 100, "done");
  if (status === "queued") setProgress(entry, 0, "sending");
  if (status === "failed") view.progressText.textContent = "not saved";
  if (status === "unknown") view.progressText.textContent = "maybe saved";
  if (status === "cancelled") view.progressText.textContent = "stopped";
  if (status === "paused")
    view.progressText.textContent = `paused · ${view.progress.getAttribute("aria-valuenow") ?? 0}%`;
}

/**
 * Shows where an upload is in its one bar. In sealed mode the bar first fills while the file is
 * encrypted here (its first fifth), then while the ciphertext is sent; the text says which.
 */
export function setProgress(
  entry: Entry,
  percent: number | undefined,
  phase: UploadProgress["phase"] | "done",
): void {
  const { view } = entry;
  view.item.dataset.phase = phase;
  if (percent === undefined) {
    view.progress.removeAttribute("aria-valuenow");
    view.progress.removeAttribute("aria-valuetext");
    view.progress.classList.add("indeterminate");
    view.progressText.textContent = phase === "sealing" ? "encrypting…" : "sending…";
    return;
  }
  view.progress.classList.remove("indeterminate");
  view.progress.setAttribute("aria-valuenow", String(percent));
  view.bar.style.setProperty("--percent", `${percent}%`);
  let text = `${percent}%`;
  if (phase === "sealing") text = `encrypting · ${percent}%`;
  else if (phase === "sending" && percent === 100) text = "100% · saving";
  view.progressText.textContent = text;
  if (phase === "sealing")
    view.progress.setAttribute("aria-valuetext", `encrypting on this device, ${percent}%`);
  else view.progress.removeAttribute("aria-valuetext");
}
