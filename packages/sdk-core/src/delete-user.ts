/** `deleteUser`: deletes the user's library and tokens at digi.me (`DELETE user`). */
import type { ClientContext } from "./config.ts";
import { parseInput } from "./internal/checks.ts";
import { type AuthorizedOptions, sendAuthorized } from "./request/authorized.ts";
import { authorizedOptionsSchema } from "./schemas.ts";

/** Options of `deleteUser`. */
export type DeleteUserOptions = AuthorizedOptions;

/** What `deleteUser` returns, as the official SDK does. */
export interface DeleteUserResult {
  /** Always `true`: digi.me responded to the deletion with a 2xx. */
  deleted: true;
}

/**
 * Deletes the user at digi.me (`DELETE user`): their library and every token; afterwards each of
 * their tokens gets `401 InvalidToken`. On `401 InvalidToken` (or a bare 401) before that, the
 * token is refreshed once and the deletion sent again.
 * @throws TypeValidationError before any request for bad options; ServerError, NetworkError,
 *   TokenVerificationError otherwise.
 */
export async function deleteUser(
  context: ClientContext,
  options: DeleteUserOptions,
): Promise<DeleteUserResult> {
  const checked = parseInput(authorizedOptionsSchema(), options, "deleteUser options") as DeleteUserOptions;
  await sendAuthorized(
    context,
    checked,
    {
      what: "deleteUser",
      method: "DELETE",
      url: `${context.config.baseUrl}user`,
      headers: { Accept: "application/json" },
      anyBody: true,
    },
    options.contractDetails,
  );
  return { deleted: true };
}
