/**
 * The claims of each request JWT sdk-core signs, sorted as sdk-core writes them (the wire
 * formats: `docs/wire-format.md` for the postbox write, `docs/wire-format-import.md` for the
 * import API). The tests expect exactly these; the fake digi.me refuses an authorization with
 * others.
 */
export const CLAIMS = {
  /** `oauth/authorize`. */
  authorize: [
    "client_id",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "redirect_uri",
    "response_mode",
    "response_type",
    "timestamp",
  ],
  /** `oauth/token`, exchanging an authorization code. */
  codeGrant: ["client_id", "code", "code_verifier", "grant_type", "nonce", "timestamp"],
  /** `oauth/token`, refreshing. */
  refreshGrant: ["client_id", "grant_type", "nonce", "refresh_token", "timestamp"],
  /** `permission-access/postbox/{id}`: the write. */
  write: ["access_token", "client_id", "iv", "metadata", "nonce", "symmetrical_key", "timestamp"],
  /** The calls made as the user with nothing more to sign: import, accounts, deleting the user. */
  user: ["access_token", "client_id", "nonce", "timestamp"],
} as const;
