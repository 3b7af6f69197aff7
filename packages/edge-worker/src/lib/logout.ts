/**
 * What `POST /auth/logout` returns. Signing out here ends the session and deletes this Worker's
 * copy of the user's tokens; digi.me's write API (v1.7) has no call to revoke a token or an
 * authorization, so what digi.me holds stays in force, and the answer says so.
 */
export interface LogoutResult {
  /** The session cookie is cleared and this Worker deleted the user's tokens (its only copy). */
  signedOut: true;
  /** Always `false`: nothing could be revoked at digi.me. */
  revokedAtDigime: false;
  /** What stays in force at digi.me. */
  notRevoked: string[];
  /** The same, in a sentence for people. */
  message: string;
}

/** The answer of every `POST /auth/logout`. */
export const LOGOUT_RESULT: LogoutResult = {
  signedOut: true,
  revokedAtDigime: false,
  notRevoked: [
    "the authorization of this app's contract in the user's digi.me account (withdraw it in digi.me)",
    "the access and refresh tokens digi.me issued, valid there until they expire (this Worker deleted its copy)",
    "the files already written to the user's digi.me library",
  ],
  message:
    "Signed out: this Worker deleted its copy of your digi.me tokens. Nothing was revoked at digi.me: " +
    "the app's authorization and the tokens stay valid there until they expire, and files already " +
    "sent stay in your library. Withdraw the authorization in digi.me to end it there.",
};
