/**
 * The page: connect to digi.me through the edge Worker, then send files with progress, see the
 * accounts digi.me holds for you, and delete your data there. Everything that talks to the Worker
 * goes through its typed client; how a file travels is an upload mode (see `upload-modes.ts`), and
 * which modes there are follows the Worker's write API (`writeApi` in `GET /api/session`).
 */
import { createClient, EdgeClientError, type WriteApi } from "@digime-edge/edge-worker/client";
import { renderAccounts } from "./accounts-list.ts";
import { askToDelete, type DeleteDialog, wireDeleteDialog } from "./delete-dialog.ts";
import { byId, h } from "./dom.ts";
import { formatBytes, parseTags } from "./format.ts";
import { describeError, describeSignInError, type Problem } from "./messages.ts";
import {
  createUploadMethods,
  DEFAULT_UPLOAD_MODE,
  type UploadMethod,
  type UploadMode,
  type UploadProgress,
} from "./upload-modes.ts";
import "./style.css";

/** The Worker's origin: `VITE_WORKER_URL` for cross-origin use, else this page's own origin. */
const workerUrl = (import.meta.env.VITE_WORKER_URL ?? "").replace(/\/+$/, "");
const client = createClient(workerUrl);
const methods = createUploadMethods(client);
/** How files chosen from now on travel; each upload keeps the mode it was chosen with. */
let method: UploadMethod = methods[DEFAULT_UPLOAD_MODE];

type Connection = "checking" | "signed-out" | "signed-in" | "unreachable";
/** `unknown`: the upload failed, yet the file may be in the library (`DIGIME_OUTCOME_UNKNOWN`). */
type Status = "queued" | "sending" | "delivered" | "failed" | "unknown" | "cancelled";

/** What the badge says for each status. */
const BADGE: Record<Status, string> = {
  queued: "queued",
  sending: "sending",
  delivered: "delivered",
  failed: "failed",
  unknown: "may have arrived",
  cancelled: "cancelled",
};

interface Entry {
  file: File;
  tags: string[];
  method: UploadMethod;
  status: Status;
  controller: AbortController;
  view: EntryView;
}

interface EntryView {
  item: HTMLLIElement;
  badge: HTMLElement;
  bar: HTMLElement;
  progress: HTMLElement;
  progressText: HTMLElement;
  problem: HTMLElement;
  cancel: HTMLButtonElement;
  retry: HTMLButtonElement;
}

const ui = {
  notice: byId("notice"),
  noticeTitle: byId("notice-title"),
  noticeHint: byId("notice-hint"),
  connection: byId("connection"),
  connect: byId<HTMLAnchorElement>("connect"),
  signOut: byId<HTMLButtonElement>("sign-out"),
  retry: byId<HTMLButtonElement>("retry-session"),
  send: byId("send"),
  tags: byId<HTMLInputElement>("tags"),
  sealSwitch: byId("seal-switch"),
  sealMode: byId<HTMLInputElement>("seal-mode"),
  modeSummary: byId("mode-summary"),
  modeSummaryText: byId("mode-summary-text"),
  dropzone: byId("dropzone"),
  fileInput: byId<HTMLInputElement>("file"),
  uploads: byId<HTMLUListElement>("uploads"),
  empty: byId("empty"),
  count: byId("sent-count"),
  live: byId("live"),
  account: byId("account"),
  accounts: byId<HTMLUListElement>("accounts"),
  accountsStatus: byId("accounts-status"),
  deleteData: byId<HTMLButtonElement>("delete-data"),
};

const deleteDialog: DeleteDialog = {
  dialog: byId<HTMLDialogElement>("delete-dialog"),
  confirm: byId<HTMLButtonElement>("delete-confirm"),
  cancel: byId<HTMLButtonElement>("delete-cancel"),
};

let connection: Connection = "checking";
/** The Worker's write API, from `GET /api/session`: `import` has no sealing on the device. */
let writeApi: WriteApi = "postbox";

function setConnection(state: Connection): void {
  connection = state;
  for (const part of ui.connection.querySelectorAll<HTMLElement>("[data-when]")) {
    part.hidden = part.dataset.when !== state;
  }
  ui.connection.setAttribute("aria-busy", String(state === "checking"));
  const canSend = state === "signed-in";
  ui.send.classList.toggle("disabled", !canSend);
  ui.fileInput.disabled = !canSend;
  ui.tags.disabled = !canSend;
  ui.account.hidden = !canSend;
  if (canSend) void loadAccounts();
  else clearAccounts();
}

function setMode(mode: UploadMode): void {
  method = methods[mode];
  if (mode !== "import") ui.sealMode.checked = mode === "sealed";
  ui.modeSummary.dataset.mode = mode;
  ui.modeSummaryText.textContent = method.summary;
}

/**
 * Follows the Worker's write API: `postbox` offers the switch between sealing here and the
 * Worker sealing; `import` has nothing to seal for, so the switch goes and the page says so.
 *
 * @param api - `writeApi` of `GET /api/session`.
 * @param canSeal - Its `canSeal`, when signed in: false for a postbox sign-in without the public
 *   key to seal with, which then sends plain (the Worker seals).
 */
function setWriteApi(api: WriteApi, canSeal = true): void {
  writeApi = api;
  ui.sealSwitch.hidden = api === "import";
  ui.sealMode.disabled = !canSeal;
  if (api === "import") setMode("import");
  else setMode(canSeal && ui.sealMode.checked ? "sealed" : "plain");
}

/** Shows a message at the top: a problem (the default), or good news (`ok`). */
function showNotice(problem: Problem | undefined, tone: "bad" | "ok" = "bad"): void {
  ui.notice.dataset.tone = tone;
  ui.notice.hidden = !problem;
  ui.noticeTitle.textContent = problem?.title ?? "";
  ui.noticeHint.textContent = problem?.hint ?? "";
}

function announce(text: string): void {
  ui.live.textContent = text;
}

/** Where the Worker sends the browser back after signing in: this page. */
function returnTo(): string {
  const sameOrigin = !workerUrl || new URL(workerUrl, location.href).origin === location.origin;
  return sameOrigin ? location.pathname : `${location.origin}${location.pathname}`;
}

async function checkSession(): Promise<void> {
  setConnection("checking");
  try {
    const session = await client.session();
    setWriteApi(session.writeApi, !session.authenticated || session.canSeal);
    if (session.authenticated && !session.canWrite) {
      showNotice(describeError(new EdgeClientError(403, "CANNOT_WRITE", "no postbox")));
    }
    setConnection(session.authenticated && session.canWrite ? "signed-in" : "signed-out");
  } catch (error) {
    setConnection("unreachable");
    showNotice(describeError(error));
  }
}

// ---- accounts and deleting the user's data ---------------------------------------------------------

let accountsCall: AbortController | undefined;

function clearAccounts(): void {
  accountsCall?.abort();
  accountsCall = undefined;
  ui.accounts.replaceChildren();
  ui.accountsStatus.textContent = "";
  delete ui.accountsStatus.dataset.problem;
}

/** Lists the user's accounts at digi.me (`GET /api/accounts`). */
async function loadAccounts(): Promise<void> {
  clearAccounts();
  const call = new AbortController();
  accountsCall = call;
  ui.accountsStatus.hidden = false;
  ui.accountsStatus.textContent = "Looking up your accounts…";
  try {
    const accounts = await client.accounts({ signal: call.signal });
    if (call.signal.aborted) return;
    renderAccounts(ui.accounts, accounts);
    ui.accountsStatus.hidden = accounts.length > 0;
    ui.accountsStatus.textContent =
      writeApi === "import"
        ? "digi.me lists no account for you yet."
        : "digi.me lists no account for you: files this app sends go to its postbox in your library.";
  } catch (error) {
    if (call.signal.aborted) return;
    const problem = describeError(error, "accounts");
    ui.accountsStatus.dataset.problem = "";
    ui.accountsStatus.textContent = `${problem.title} ${problem.hint ?? ""}`.trim();
    if (problem.signedOut) {
      setConnection("signed-out");
      showNotice(problem);
    }
  }
}

/** "Delete my data at digi.me": asks first, then `DELETE /api/user`; signed out once done. */
async function deleteData(): Promise<void> {
  if (!(await askToDelete(deleteDialog))) return;
  ui.deleteData.disabled = true;
  try {
    await client.deleteUser();
    setConnection("signed-out");
    showNotice(
      {
        title: "Your data at digi.me was deleted.",
        hint: "Your library there and this app's connection are gone. Connect again to start afresh.",
      },
      "ok",
    );
    announce("Your data at digi.me was deleted. You're signed out.");
  } catch (error) {
    const problem = describeError(error, "delete");
    showNotice(problem);
    if (problem.signedOut) setConnection("signed-out");
  } finally {
    ui.deleteData.disabled = false;
  }
}

// ---- uploads -------------------------------------------------------------------------------------

const queue: Entry[] = [];
let sending = false;
let sentCount = 0;

function renderEntry(file: File, tags: string[], mode: UploadMethod): EntryView {
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
      retry,
      cancel,
    ),
    h("div", { class: "progress-row" }, progress, progressText),
    problem,
  );
  return { item, badge, bar, progress, progressText, problem, cancel, retry };
}

function setStatus(entry: Entry, status: Status, problem?: Problem): void {
  entry.status = status;
  const { view } = entry;
  view.item.dataset.status = status;
  view.badge.textContent = BADGE[status];
  view.cancel.hidden = status !== "queued" && status !== "sending";
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
}

/**
 * Shows where an upload is in its one bar. In sealed mode the bar first fills while the file is
 * encrypted here (its first fifth), then while the ciphertext is sent; the text says which.
 */
function setProgress(
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

function addFiles(files: Iterable<File>): void {
  if (connection !== "signed-in") {
    showNotice(describeError(new EdgeClientError(401, "UNAUTHENTICATED", "not signed in")));
    return;
  }
  const tags = parseTags(ui.tags.value);
  for (const file of files) {
    const entry: Entry = {
      file,
      tags,
      method,
      status: "queued",
      controller: new AbortController(),
      view: renderEntry(file, tags, method),
    };
    entry.view.cancel.addEventListener("click", () => {
      entry.controller.abort();
      if (entry.status === "queued") setStatus(entry, "cancelled");
    });
    entry.view.retry.addEventListener("click", () => {
      if (connection !== "signed-in") {
        showNotice(describeError(new EdgeClientError(401, "UNAUTHENTICATED", "not signed in")));
        return;
      }
      entry.controller = new AbortController();
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

// ---- wiring --------------------------------------------------------------------------------------

ui.connect.href = client.signInUrl(returnTo());
setMode(DEFAULT_UPLOAD_MODE);
ui.sealMode.addEventListener("change", () => setMode(ui.sealMode.checked ? "sealed" : "plain"));
byId("worker-origin").textContent = workerUrl ? new URL(workerUrl).origin : location.origin;
byId("notice-close").addEventListener("click", () => showNotice(undefined));
ui.retry.addEventListener("click", () => void checkSession());
wireDeleteDialog(deleteDialog);
ui.deleteData.addEventListener("click", () => void deleteData());

ui.signOut.addEventListener("click", async () => {
  ui.signOut.disabled = true;
  try {
    await client.signOut();
    showNotice(undefined);
    setConnection("signed-out");
  } catch (error) {
    showNotice(describeError(error));
  } finally {
    ui.signOut.disabled = false;
  }
});

ui.fileInput.addEventListener("change", () => {
  addFiles(ui.fileInput.files ?? []);
  ui.fileInput.value = "";
});

// Dropping a file anywhere else must not navigate away from the page.
for (const type of ["dragover", "drop"] as const) window.addEventListener(type, (e) => e.preventDefault());
ui.dropzone.addEventListener("dragover", (e) => {
  e.preventDefault();
  if (e.dataTransfer) e.dataTransfer.dropEffect = connection === "signed-in" ? "copy" : "none";
  ui.dropzone.classList.add("dragging");
});
ui.dropzone.addEventListener("dragleave", () => ui.dropzone.classList.remove("dragging"));
ui.dropzone.addEventListener("drop", (e) => {
  e.preventDefault();
  ui.dropzone.classList.remove("dragging");
  addFiles(e.dataTransfer?.files ?? []);
});

// Back from a sign-in that did not complete: `?digimeError=<code>`. Say it in words, then tidy the URL.
const params = new URLSearchParams(location.search);
const signInError = params.get("digimeError");
if (signInError) {
  showNotice(describeSignInError(signInError));
  params.delete("digimeError");
  const query = params.toString();
  history.replaceState(null, "", `${location.pathname}${query ? `?${query}` : ""}${location.hash}`);
}

void checkSession();
