/**
 * Every setting the Worker reads, in one list: its name, whether it is a secret, its default and
 * what it means. The rest follows from it: `config.ts` validates exactly these (a validator for
 * each), `wrangler.jsonc` declares them (`vars` for the others, `secrets.required` for the secrets;
 * `wrangler dev` loads from `.dev.vars` only what is declared there), `scripts/worker-settings.mjs` writes
 * them for the demo, the test bindings name them, and the README's Settings table lists them
 * (`test/node/settings.test.ts` holds wrangler.jsonc and the READMEs to this list).
 *
 * No imports and no Worker API: Node scripts load this file as it is (type stripping).
 */

/** One setting of the Worker. */
export interface Setting {
  /** A secret: `wrangler secret put` (or `.dev.vars`), never in `wrangler.jsonc`, logs or answers. */
  readonly secret: boolean;
  /** The value used when the setting is unset or empty; none when the setting is required. */
  readonly default?: string;
  /**
   * The value in `wrangler.jsonc`'s `vars` for local development against the emulator's dev
   * contract, when the setting has no default or another one is wanted there.
   */
  readonly local?: string;
  /** What it is, in one short line (the README's Settings table). */
  readonly description: string;
}

/** The Worker's settings by name, in the README's order. */
export const SETTINGS = {
  DIGIME_APPLICATION_ID: { secret: false, local: "dev-app", description: "digi.me application id" },
  DIGIME_CONTRACT_ID: { secret: false, local: "dev-write-contract", description: "write contract id" },
  DIGIME_PRIVATE_KEY: { secret: true, description: "the contract's RSA private key, PEM" },
  DIGIME_REDIRECT_URI: {
    secret: false,
    local: "http://127.0.0.1:8787/auth/callback",
    description: "this Worker's `/auth/callback` URL, as registered on the contract",
  },
  DIGIME_BASE_URL: {
    secret: false,
    local: "http://127.0.0.1:8089/v1.7/",
    description: "digi.me API root, e.g. `https://api.digi.me/v1.7/`",
  },
  DIGIME_ONBOARD_URL: {
    secret: false,
    local: "http://127.0.0.1:8089/apps/saas/",
    description: "digi.me onboarding root, e.g. `https://api.digi.me/apps/saas/`",
  },
  SESSION_SECRET: { secret: true, description: "at least 32 random characters; signs the cookies" },
  ALLOWED_ORIGINS: {
    secret: false,
    default: "",
    local: "http://127.0.0.1:5173,http://localhost:5173",
    description: "comma-separated app origins for CORS, CSRF and `returnTo`",
  },
  // 100 MiB.
  MAX_UPLOAD_BYTES: { secret: false, default: "104857600", description: "largest file, in bytes" },
  RATE_LIMIT_PER_MINUTE: {
    secret: false,
    default: "60",
    description: "uploads one user may start per minute",
  },
  // As long as sdk-core waits for digi.me to make progress.
  BODY_TIMEOUT_SECONDS: {
    secret: false,
    default: "30",
    description: "longest wait (s) for each 256 KiB of an upload's body",
  },
  // Enough for a browser's parallel uploads, few held connections.
  MAX_CONCURRENT_UPLOADS: {
    secret: false,
    default: "4",
    description: "uploads one user may have in progress at once",
  },
  // 16 KiB/s (131 kbit/s), slower than any 3G uplink, and about twice what a body dripped at one
  // 256 KiB chunk per BODY_TIMEOUT_SECONDS window gives.
  MIN_UPLOAD_BYTES_PER_SECOND: {
    secret: false,
    default: "16384",
    description: "slowest average rate of an upload's body (bytes/s) after the grace",
  },
  // A slow start (TLS, a busy device) is no reason to end an upload.
  UPLOAD_GRACE_SECONDS: {
    secret: false,
    default: "30",
    description: "how long (s) a body may come at any rate before that minimum",
  },
  // A day without use ends a session (its lifetime is 30 days).
  SESSION_IDLE_TIMEOUT_SECONDS: {
    secret: false,
    default: "86400",
    description: "a session unused this long (s) is over",
  },
  DIGIME_WRITE_API: {
    secret: false,
    default: "postbox",
    description: "the contract's write API: `postbox` or `import`",
  },
  // 5 GiB.
  TUS_MAX_UPLOAD_BYTES: {
    secret: false,
    default: "5368709120",
    description: "largest resumable upload (tus `Upload-Length`), in bytes",
  },
  // 50 MiB, half of Cloudflare's 100 MB request body limit (Free, Pro).
  TUS_CHUNK_MAX_BYTES: {
    secret: false,
    default: "52428800",
    description: "largest body of one tus `PATCH`, in bytes",
  },
  // A day to finish a resumable upload.
  TUS_UPLOAD_TTL_SECONDS: {
    secret: false,
    default: "86400",
    description: "how long (s) a resumable upload may take from its creation",
  },
} as const satisfies Record<string, Setting>;

/** Names of every setting this Worker reads. */
export type SettingName = keyof typeof SETTINGS;

/** Every setting's name, in the list's order. */
export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

/**
 * The value `wrangler.jsonc`'s `vars` give a setting that is not a secret: its local value, else
 * its default.
 *
 * @param name - A setting that is not a secret.
 */
export function localValueOf(name: SettingName): string | undefined {
  const setting: Setting = SETTINGS[name];
  return setting.local ?? setting.default;
}
