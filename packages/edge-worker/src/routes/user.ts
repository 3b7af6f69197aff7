import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { contractDetails, describeDigiMeFailure, failureToError, getSdk } from "../lib/digime.ts";
import { clearSession, vaultFor } from "../lib/session.ts";
import { withUserToken } from "../lib/user-call.ts";
import { originCheck } from "../middleware/origin-check.ts";
import { requireSession } from "../middleware/session.ts";

/** What `DELETE /api/user` returns. */
export interface DeleteUserResult {
  /** digi.me deleted the user: their library and every token. */
  deleted: true;
  /** The Worker forgot the user too (vault cleared, session cookie removed). */
  signedOut: true;
}

/**
 * `DELETE /api/user`: deletes the signed-in user at digi.me (sdk-core's `deleteUser`: the library
 * and every token), then clears the user's vault and the session cookie. When digi.me did not
 * confirm the deletion, nothing of the session is cleared (the user can try again). CSRF rules as
 * every state-changing route (`Origin`), and it counts against the user's rate budget.
 */
export const user = new Hono<AppEnv>().delete("/user", originCheck(), requireSession(), async (c) => {
  const config = c.get("config");
  await withUserToken(c, ({ token, refresh }) =>
    getSdk(config).deleteUser({ contractDetails: contractDetails(config), userAccessToken: token, refresh }),
  ).catch((error: unknown) => {
    throw error instanceof ApiError ? error : failureToError(describeDigiMeFailure(error));
  });
  await vaultFor(c.env, c.get("userId")).clear();
  clearSession(c);
  return c.json({ deleted: true, signedOut: true } satisfies DeleteUserResult);
});
