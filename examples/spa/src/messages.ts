import { EdgeClientError } from "@digime-edge/edge-worker/client";
import { BY_CODE, type Problem, SIGN_IN_AGAIN, UNAVAILABLE } from "./error-words.ts";
import { formatBytes } from "./format.ts";

export type { Problem } from "./error-words.ts";

/** What the page asks the Worker for: each has its own words when it fails. */
export type Action = "upload" | "accounts" | "delete";

/** Words for the calls besides uploads, where "nothing was saved" would not fit. */
const OTHER_ACTIONS: Record<Exclude<Action, "upload">, { failed: string; unavailable: Problem }> = {
  accounts: {
    failed: "Your accounts could not be listed.",
    unavailable: {
      title: "digi.me is unavailable, so your accounts can't be listed.",
      hint: "Try again in a moment.",
    },
  },
  delete: {
    failed: "Your data at digi.me was not deleted.",
    unavailable: {
      title: "digi.me is unavailable, so your data there was not deleted.",
      hint: "You're still connected. Try again in a moment.",
    },
  },
};

/** `DELETE /api/user` whose answer was lost: digi.me may have deleted the user. */
const DELETE_OUTCOME_UNKNOWN: Problem = {
  title: "digi.me's answer was lost: your data there may already be deleted.",
  hint: "Try again to make sure.",
};

/** Messages for `?digimeError=<code>`, how the Worker reports a sign-in that did not complete. */
const SIGN_IN: Record<string, Problem> = {
  AccessDenied: {
    title: "You didn't allow this app to write to your library.",
    hint: "Connect again if you change your mind.",
  },
  BAD_CALLBACK: BY_CODE.BAD_CALLBACK,
  AUTHORIZATION_FAILED: SIGN_IN_AGAIN,
  WRITE_API_MISMATCH: BY_CODE.WRITE_API_MISMATCH,
  InvalidPreauthorizationCode: { title: "That sign-in link had expired.", hint: "Connect again." },
  RATE_LIMITED: { title: "Too many sign-ins from here.", hint: "Wait a minute, then connect again." },
  SIGN_IN_EXPIRED: {
    title: "Connecting took too long, so it was not completed.",
    hint: "Connect again: you have 30 minutes to finish at digi.me.",
  },
};

/** A connection lost after the whole file was sent: the Worker may have delivered it. */
const NETWORK_AFTER_SEND: Problem = {
  title: "This file may have arrived: the connection was lost after it was sent.",
  hint: "Check your library before sending it again: sending it again may save a second copy.",
  mayHaveArrived: true,
};

/**
 * Turns anything a call of the typed client threw into words.
 *
 * @param error - Usually an `EdgeClientError` from the typed client.
 * @param action - What the page was doing: an upload (the default, also for a session check),
 *   listing the accounts, or deleting the user's data.
 * @returns What to show.
 */
export function describeError(error: unknown, action: Action = "upload"): Problem {
  if (!(error instanceof EdgeClientError)) {
    return {
      title: "Something went wrong in this page.",
      hint: error instanceof Error ? error.message : undefined,
    };
  }
  if (action !== "upload" && error.code.startsWith("DIGIME_")) {
    const words =
      action === "delete" && error.mayHaveArrived
        ? DELETE_OUTCOME_UNKNOWN
        : OTHER_ACTIONS[action].unavailable;
    return withRetryAfter(words, error);
  }
  if (action === "upload" && error.code === "NETWORK" && error.mayHaveArrived) return NETWORK_AFTER_SEND;
  if (error.code === "PAYLOAD_TOO_LARGE") {
    const limit = /(\d+) bytes/.exec(error.message)?.[1];
    return {
      title: "This file is too large.",
      hint: limit ? `The largest file accepted is ${formatBytes(Number(limit))}.` : "Choose a smaller file.",
      final: true,
    };
  }
  const byCode: Partial<Record<string, Problem>> = BY_CODE;
  const known = byCode[error.code] ?? (error.code.startsWith("DIGIME_") ? UNAVAILABLE : undefined);
  const failed = action === "upload" ? "The upload failed." : OTHER_ACTIONS[action].failed;
  const problem = known ?? { title: failed, hint: `${error.message} (${error.code}).` };
  if (error.code === "CONFIG_INVALID") return { ...problem, hint: error.message };
  return withRetryAfter(problem, error);
}

/** `problem`, saying when to try again if the Worker said so (`Retry-After`). */
function withRetryAfter(problem: Problem, error: EdgeClientError): Problem {
  if (error.retryAfter === undefined || error.retryAfter <= 0) return problem;
  return {
    ...problem,
    hint: `${problem.hint ?? ""} You can retry in ${Math.ceil(error.retryAfter)} s.`.trim(),
  };
}

/**
 * Words for a sign-in that came back with `?digimeError=<code>`.
 *
 * @param code - The code the Worker put in the return URL.
 * @returns What to show.
 */
export function describeSignInError(code: string): Problem {
  const known = SIGN_IN[code];
  if (known) return known;
  if (code.startsWith("DIGIME_"))
    return { ...UNAVAILABLE, title: "digi.me is unavailable, so connecting did not complete." };
  return { title: "Connecting to digi.me did not complete.", hint: `digi.me said ${code}. Connect again.` };
}
