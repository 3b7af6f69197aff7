import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Store } from "./store.ts";

/** Tables with a `user_id` column, emptied of a deleted user's rows. */
const USER_TABLES = ["files", "tokens", "postboxes", "accounts", "authorization_codes", "preauthorizations"];

/**
 * Deletes a user as `DELETE {baseUrl}user` does: every record of theirs (library files, tokens of
 * every contract, postboxes, accounts, codes) and the user, in one transaction, then the library
 * folder. Their tokens are then unknown, so they get `401 InvalidToken`.
 * @returns false when there was no such user.
 */
export async function deleteUser(store: Store, userId: string): Promise<boolean> {
  const existed = store.transaction(() => {
    for (const table of USER_TABLES) store.db.prepare(`DELETE FROM ${table} WHERE user_id = ?`).run(userId);
    return Number(store.db.prepare("DELETE FROM users WHERE id = ?").run(userId).changes) === 1;
  });
  await rm(join(store.filesDir, userId), { recursive: true, force: true });
  return existed;
}
