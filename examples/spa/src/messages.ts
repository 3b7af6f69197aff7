import { EdgeClientError } from "@digime-edge/edge-worker/client";
import { formatBytes } from "./format.ts";

/** A failure, in words a person can act on. */
export interface Problem {
  /** One sentence: what happened. */
  title: string;
  /** What to do about it, when there is something to say. */
  hint?: string;
  /** The failure means the browser is no longer connected: show the Connect button again. */
  signedOut?: boolean;
  /** Sending the same file again cannot help (it is too large, say). */
  final?: boolean;
  /**
   * The file may be in the library already: digi.me got it but its answer was lost. Shown as "may
   * have arrived", with "send again" left to the person (it may save a second copy).
   */
  mayHaveArrived?: boolean;
}

const MALFORMED_SEALED: Problem = {
  title: "The encrypted upload was refused as malformed.",
  hint: "Nothing was saved. Try again.",
};

const UNAVAILABLE: Problem = {
  title: "digi.me is unavailable right now.",
  hint: "Nothing was saved. Try again in a moment.",
};

/** Messages by the Worker's error codes (see the edge-worker README) and the client's own. */
const BY_CODE: Record<string, Problem> = {
  UNAUTHENTICATED: {
    title: "You're not connected to digi.me.",
    hint: "Connect your digi.me, then send the file again.",
    signedOut: true,
  },
  SESSION_EXPIRED: {
    title: "Your digi.me connection has expired.",
    hint: "Connect again to keep sending files.",
    signedOut: true,
  },
  CANNOT_WRITE: {
    title: "This connection can't add files to your library.",
    hint: "Connect your digi.me again and allow writing.",
    signedOut: true,
  },
  CSRF_ORIGIN: {
    title: "The upload service refused this page's address.",
    hint: "Its ALLOWED_ORIGINS setting must list this page's origin.",
  },
  RATE_LIMITED: {
    title: "You're sending files faster than allowed.",
    hint: "Wait a little, then try again.",
  },
  TOO_MANY_UPLOADS: {
    title: "Too many of your uploads are running at once.",
    hint: "Nothing was saved. Send this file when another has finished.",
  },
  UPLOAD_TOO_SLOW: {
    title: "The connection was too slow for this upload.",
    hint: "Nothing was saved. Try again over a faster connection.",
  },
  BODY_TIMEOUT: { title: "The upload stalled.", hint: "Nothing was saved. Try again." },
  TOKEN_REFRESHED_RETRY: {
    title: "digi.me asked to sign the upload again.",
    hint: "Send the file once more.",
  },
  DIGIME_OUTCOME_UNKNOWN: {
    title: "This file may have arrived: digi.me got it, but its answer was lost.",
    hint: "Check your library before sending it again: sending it again may save a second copy.",
    mayHaveArrived: true,
  },
  DIGIME_UNREACHABLE: UNAVAILABLE,
  DIGIME_TIMEOUT: { ...UNAVAILABLE, title: "digi.me took too long to answer." },
  DIGIME_UNAVAILABLE: UNAVAILABLE,
  DIGIME_ERROR: { ...UNAVAILABLE, title: "digi.me had a problem with this upload." },
  DIGIME_REJECTED: { title: "digi.me refused this file.", hint: "Nothing was saved." },
  DIGIME_BAD_RESPONSE: {
    title: "digi.me's answer could not be verified.",
    hint: "Nothing is known to be saved. Try again later.",
  },
  BAD_DESCRIPTOR: {
    title: "The file's details were refused.",
    hint: "Check the tags, then choose the file again.",
    final: true,
  },
  MISSING_FILE: { title: "No file arrived.", hint: "Choose the file again." },
  SEAL_FAILED: {
    title: "This file could not be encrypted on this device.",
    hint: "Choose it again, or switch off “Encrypt on this device” to let the Worker encrypt it.",
  },
  UNSUPPORTED: {
    title: "This browser can't send encrypted files.",
    hint: "Switch off “Encrypt on this device” to let the Worker encrypt it.",
    final: true,
  },
  BAD_CONTENT_TYPE: MALFORMED_SEALED,
  BAD_IV: MALFORMED_SEALED,
  BAD_SYMMETRICAL_KEY: MALFORMED_SEALED,
  BAD_METADATA: {
    title: "The file's encrypted details were refused.",
    hint: "Use fewer or shorter tags, then choose the file again.",
    final: true,
  },
  BAD_SEALED_BODY: MALFORMED_SEALED,
  BAD_FILE_NAME: { title: "The file's name was refused.", hint: "Rename the file, then choose it again." },
  BAD_MULTIPART: { title: "The upload arrived garbled.", hint: "Try again." },
  CONFIG_INVALID: { title: "The upload service is not set up correctly." },
  NETWORK: {
    title: "The upload service could not be reached.",
    hint: "Check your connection, then try again.",
  },
  ABORTED: { title: "Cancelled." },
  INTERNAL: { title: "The upload service had an unexpected problem.", hint: "Try again." },
};

/** Messages for `?digimeError=<code>`, how the Worker reports a sign-in that did not complete. */
const SIGN_IN: Record<string, Problem> = {
  AccessDenied: {
    title: "You didn't allow this app to write to your library.",
    hint: "Connect again if you change your mind.",
  },
  BAD_CALLBACK: { title: "digi.me's answer to the sign-in was incomplete.", hint: "Connect again." },
  AUTHORIZATION_FAILED: { title: "Connecting to digi.me did not complete.", hint: "Connect again." },
  InvalidPreauthorizationCode: { title: "That sign-in link had expired.", hint: "Connect again." },
  SIGN_IN_EXPIRED: {
    title: "Connecting took too long, so it was not completed.",
    hint: "Connect again: you have 30 minutes to finish at digi.me.",
  },
};

/**
 * Turns anything an upload or a session check threw into words.
 *
 * @param error - Usually an `EdgeClientError` from the typed client.
 * @returns What to show.
 */
export function describeError(error: unknown): Problem {
  if (!(error instanceof EdgeClientError)) {
    return {
      title: "Something went wrong in this page.",
      hint: error instanceof Error ? error.message : undefined,
    };
  }
  if (error.code === "PAYLOAD_TOO_LARGE") {
    const limit = /(\d+) bytes/.exec(error.message)?.[1];
    return {
      title: "This file is too large.",
      hint: limit ? `The largest file accepted is ${formatBytes(Number(limit))}.` : "Choose a smaller file.",
      final: true,
    };
  }
  const known = BY_CODE[error.code] ?? (error.code.startsWith("DIGIME_") ? UNAVAILABLE : undefined);
  const problem = known ?? { title: "The upload failed.", hint: `${error.message} (${error.code}).` };
  if (error.code === "CONFIG_INVALID") return { ...problem, hint: error.message };
  if (error.retryAfter !== undefined && error.retryAfter > 0) {
    return {
      ...problem,
      hint: `${problem.hint ?? ""} You can retry in ${Math.ceil(error.retryAfter)} s.`.trim(),
    };
  }
  return problem;
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
