/**
 * The page's elements, looked up once, and the two ways it speaks to the user: the notice at the
 * top and the screen reader's live region.
 */
import type { DeleteDialog } from "./delete-dialog.ts";
import { byId } from "./dom.ts";
import type { Problem } from "./messages.ts";

/** The elements the page's code changes or listens to. */
export const ui = {
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

/** The dialog that asks before the user's data is deleted. */
export const deleteDialog: DeleteDialog = {
  dialog: byId<HTMLDialogElement>("delete-dialog"),
  confirm: byId<HTMLButtonElement>("delete-confirm"),
  cancel: byId<HTMLButtonElement>("delete-cancel"),
};

/** Shows a message at the top: a problem (the default), or good news (`ok`). */
export function showNotice(problem: Problem | undefined, tone: "bad" | "ok" = "bad"): void {
  ui.notice.dataset.tone = tone;
  ui.notice.hidden = !problem;
  ui.noticeTitle.textContent = problem?.title ?? "";
  ui.noticeHint.textContent = problem?.hint ?? "";
}

/** Says `text` to screen readers (the live region). */
export function announce(text: string): void {
  ui.live.textContent = text;
}
