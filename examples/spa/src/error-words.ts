/**
 * The page's words for each error code of the Worker and of the typed client.
 */
import type { ApiErrorCode } from "@digime-edge/edge-worker/client";

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

/** digi.me could not be reached or failed: nothing was saved. */
export const UNAVAILABLE: Problem = {
  title: "digi.me is unavailable right now.",
  hint: "Nothing was saved. Try again in a moment.",
};

/** A sign-in that did not complete. */
export const SIGN_IN_AGAIN: Problem = {
  title: "Connecting to digi.me did not complete.",
  hint: "Connect again.",
};

const FHIR_REFUSED: Problem = {
  title: "The health record was refused.",
  hint: "It must be a FHIR resource (a JSON object with a resourceType) of version STU3 (3.0.2).",
  final: true,
};

const RESUMABLE_REFUSED: Problem = {
  title: "The Worker refused this resumable upload.",
  hint: "Nothing was saved. Reload the page and send the file again.",
};

/** The codes of the typed client itself, besides the Worker's. */
export type ClientCode =
  | "NETWORK"
  | "ABORTED"
  | "HTTP_ERROR"
  | "SEAL_FAILED"
  | "UNSUPPORTED"
  | "FILE_UNREADABLE";

/**
 * Messages by the Worker's error codes (see the edge-worker README) and the client's own. Typed as
 * every code, so that a code the Worker gains fails the typecheck here until it has words.
 */
export const BY_CODE: Record<ApiErrorCode | ClientCode, Problem> = {
  UNAUTHENTICATED: {
    title: "You're not connected to digi.me.",
    hint: "Connect your digi.me, then try again.",
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
    title: "You're asking faster than allowed.",
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
  // Resumable uploads: the protocol's refusals (a client bug or an old upload), then its states.
  TUS_VERSION_UNSUPPORTED: RESUMABLE_REFUSED,
  BAD_UPLOAD_LENGTH: RESUMABLE_REFUSED,
  BAD_UPLOAD_OFFSET: RESUMABLE_REFUSED,
  BAD_UPLOAD_METADATA: RESUMABLE_REFUSED,
  UNSUPPORTED_MEDIA_TYPE: RESUMABLE_REFUSED,
  OFFSET_MISMATCH: {
    title: "The upload and the Worker disagree on how much was sent.",
    hint: "Send the file again: it resumes from what arrived.",
  },
  UPLOAD_LOCKED: {
    title: "This upload is already being sent from another tab or device.",
    hint: "Wait for it to finish, or try again in a minute.",
  },
  UPLOAD_EXPIRED: {
    title: "This upload was started too long ago and has been deleted.",
    hint: "Nothing was saved. Send the file again from the start.",
  },
  UPLOAD_INTERRUPTED: {
    title: "The upload was interrupted.",
    hint: "Nothing was saved yet. Send the file again: it resumes from what arrived.",
  },
  BAD_UPLOAD_CHECKSUM: {
    title: "The upload's checksum was not understood.",
    hint: "Only sha1 checksums are taken. Send the file again.",
    final: true,
  },
  CHECKSUM_MISMATCH: {
    title: "Part of the upload arrived damaged and was dropped.",
    hint: "Send the file again: it resumes from what arrived intact.",
  },
  STAGING_UNAVAILABLE: {
    title: "The upload's storage failed for a moment.",
    hint: "Nothing was lost. Send the file again in a few seconds: it resumes from what arrived.",
  },
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
  FILE_UNREADABLE: {
    title: "The file could not be read.",
    hint: "It may have been moved or changed since it was chosen: choose it again.",
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
  BAD_FILE_BODY: {
    title: "The upload arrived cut short or too long.",
    hint: "Nothing was saved. Try again.",
  },
  LENGTH_REQUIRED: { title: "The upload did not say its size.", hint: "Nothing was saved. Try again." },
  CONFIG_INVALID: { title: "The upload service is not set up correctly." },
  NETWORK: {
    title: "The upload service could not be reached.",
    hint: "Check your connection, then try again.",
  },
  ABORTED: { title: "Cancelled." },
  INTERNAL: { title: "The upload service had an unexpected problem.", hint: "Try again." },
  HTTP_ERROR: {
    title: "The upload service gave an answer this page can't read.",
    hint: "Try again; if it keeps happening, the Worker's address may be wrong.",
  },
  NOT_FOUND: { title: "The upload service doesn't know this request.", hint: "Reload the page." },
  PAYLOAD_TOO_LARGE: { title: "This file is too large.", hint: "Choose a smaller file.", final: true },
  DESCRIPTOR_AFTER_FILE: { title: "The upload arrived garbled.", hint: "Try again." },
  DIGIME_UNREACHABLE_NOT_SENT: UNAVAILABLE,
  BAD_RETURN_TO: {
    title: "The upload service refused to bring you back to this page.",
    hint: "Its ALLOWED_ORIGINS setting must list this page's origin.",
  },
  BAD_STATE: SIGN_IN_AGAIN,
  BAD_CALLBACK: { title: "digi.me's answer to the sign-in was incomplete.", hint: "Connect again." },
  AUTHORIZATION_FAILED: SIGN_IN_AGAIN,
  // The import API (the Worker's DIGIME_WRITE_API=import) and the routes that come with it.
  WRITE_API_MISMATCH: {
    title: "digi.me's answer to the sign-in was for another kind of contract.",
    hint: "The Worker's DIGIME_WRITE_API setting (postbox or import) must match its contract.",
  },
  SEALING_UNAVAILABLE: {
    title: "This service doesn't take files encrypted on this device: digi.me receives them over TLS.",
    hint: "Reload the page, then choose the file again: it is sent as it is, over HTTPS.",
    final: true,
  },
  IMPORT_API_REQUIRED: {
    title: "This needs digi.me's import API, which this service doesn't use.",
    final: true,
  },
  BAD_SOURCE_TYPE: { title: "The sign-in asked for an unknown kind of source.", hint: "Connect again." },
  BAD_FHIR_VERSION: { ...FHIR_REFUSED, title: "This FHIR version isn't accepted." },
  BAD_FHIR_BODY: FHIR_REFUSED,
  BAD_ACCOUNT_ID: {
    title: "No health provider account was named for the record.",
    hint: "Choose one of your accounts that takes records.",
    final: true,
  },
  ACCOUNT_NOT_FOUND: {
    title: "That account is not one of yours at digi.me.",
    hint: "Choose one of the accounts listed.",
    final: true,
  },
  NOT_A_PUSH_ACCOUNT: {
    title: "That account doesn't take health records.",
    hint: "Choose a health provider account (PUSH).",
    final: true,
  },
};
