/**
 * The page: connect to digi.me through the edge Worker, then send files with progress, see the
 * accounts digi.me holds for you, and delete your data there. Everything that talks to the Worker
 * goes through its typed client (`session.ts`); how a file travels is an upload mode (see
 * `upload-modes.ts`), and which modes there are follows the Worker's write API (`writeApi` in
 * `GET /api/session`). This file wires the parts to the page.
 */
import { clearAccounts, deleteData, loadAccounts } from "./account-panel.ts";
import { wireDeleteDialog } from "./delete-dialog.ts";
import { byId } from "./dom.ts";
import { describeError, describeSignInError } from "./messages.ts";
import { forgetExpired, keptFileNames } from "./resume-store.ts";
import {
  checkSession,
  client,
  onConnection,
  returnTo,
  session,
  setConnection,
  setMode,
  workerUrl,
} from "./session.ts";
import { deleteDialog, showNotice, ui } from "./ui.ts";
import { addFiles } from "./upload-flow.ts";
import { DEFAULT_UPLOAD_MODE } from "./upload-modes.ts";
import "./style.css";

onConnection((state) => {
  if (state === "signed-in") void loadAccounts();
  else clearAccounts();
});
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

/** Sends the files chosen or dropped; the unfinished uploads' notice has done its work by then. */
function choose(files: Iterable<File>): void {
  if (ui.noticeTitle.textContent === unfinishedTitle) showNotice(undefined);
  addFiles(files);
}

ui.fileInput.addEventListener("change", () => {
  choose(ui.fileInput.files ?? []);
  ui.fileInput.value = "";
});

// Dropping a file anywhere else must not navigate away from the page.
for (const type of ["dragover", "drop"] as const) window.addEventListener(type, (e) => e.preventDefault());
ui.dropzone.addEventListener("dragover", (e) => {
  e.preventDefault();
  if (e.dataTransfer) e.dataTransfer.dropEffect = session.connection === "signed-in" ? "copy" : "none";
  ui.dropzone.classList.add("dragging");
});
ui.dropzone.addEventListener("dragleave", () => ui.dropzone.classList.remove("dragging"));
ui.dropzone.addEventListener("drop", (e) => {
  e.preventDefault();
  ui.dropzone.classList.remove("dragging");
  choose(e.dataTransfer?.files ?? []);
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

// What an earlier page kept to resume an upload that has expired since is no use: forget it; say
// which uploads can be resumed.
void forgetExpired().catch(() => {});
const unfinished = keptFileNames();
const unfinishedTitle = `Unfinished upload${unfinished.length > 1 ? "s" : ""}: ${unfinished.join(", ")}.`;
if (unfinished.length > 0 && !signInError) {
  showNotice(
    { title: unfinishedTitle, hint: "Choose the same file again to resume where it stopped." },
    "ok",
  );
}
void checkSession();
