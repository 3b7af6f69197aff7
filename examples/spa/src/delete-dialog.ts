/**
 * The confirmation before "Delete my data at digi.me": a modal `<dialog>` that says what goes (the
 * library, every file in it, every connection) and that it can't be undone.
 */

/** The dialog's parts in `index.html`. */
export interface DeleteDialog {
  dialog: HTMLDialogElement;
  /** Closes the dialog with the answer "delete". */
  confirm: HTMLButtonElement;
  /** Closes it with the answer "keep" (as Escape does, with none). */
  cancel: HTMLButtonElement;
}

const DELETE = "delete";

/**
 * Wires the dialog's buttons once.
 *
 * @param parts - The dialog and its two buttons.
 */
export function wireDeleteDialog({ dialog, confirm, cancel }: DeleteDialog): void {
  confirm.addEventListener("click", () => dialog.close(DELETE));
  cancel.addEventListener("click", () => dialog.close("keep"));
}

/**
 * Asks the person whether to delete their data, and waits for the answer.
 *
 * @param parts - The dialog (wired with {@link wireDeleteDialog}).
 * @returns True only when they chose to delete; Cancel and Escape are no.
 */
export function askToDelete({ dialog }: DeleteDialog): Promise<boolean> {
  dialog.returnValue = "";
  const answer = new Promise<boolean>((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === DELETE), { once: true });
  });
  dialog.showModal();
  return answer;
}
