/**
 * The account panel: the accounts digi.me holds for the user, and "Delete my data at digi.me".
 */
import { renderAccounts } from "./accounts-list.ts";
import { askToDelete } from "./delete-dialog.ts";
import { describeError } from "./messages.ts";
import { client, session, setConnection } from "./session.ts";
import { announce, deleteDialog, showNotice, ui } from "./ui.ts";

let accountsCall: AbortController | undefined;

/** Empties the list of accounts, stopping a look-up under way. */
export function clearAccounts(): void {
  accountsCall?.abort();
  accountsCall = undefined;
  ui.accounts.replaceChildren();
  ui.accountsStatus.textContent = "";
  delete ui.accountsStatus.dataset.problem;
}

/** Lists the user's accounts at digi.me (`GET /api/accounts`). */
export async function loadAccounts(): Promise<void> {
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
      session.writeApi === "import"
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
export async function deleteData(): Promise<void> {
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
