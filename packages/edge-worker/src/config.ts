import * as z from "zod/mini";
import { SETTINGS, type Setting, type SettingName } from "./settings.ts";

/** The Worker's settings, validated and normalised from its vars and secrets. */
export interface Config {
  /** digi.me application id. */
  applicationId: string;
  /** digi.me write contract id. */
  contractId: string;
  /** The contract's RSA private key, PEM with real newlines. Secret. */
  privateKey: string;
  /** This Worker's `/auth/callback` URL, registered on the contract. */
  redirectUri: string;
  /** digi.me API root, always ending with `/`. */
  baseUrl: string;
  /** digi.me onboarding root, always ending with `/`. */
  onboardUrl: string;
  /** Key for signing cookies. Secret. */
  sessionSecret: string;
  /** App origins allowed for CORS, CSRF and `returnTo` (exact `scheme://host[:port]`). */
  allowedOrigins: ReadonlySet<string>;
  /** Largest file accepted by `POST /api/files`, in bytes. */
  maxUploadBytes: number;
  /** Uploads one user may start per minute. */
  rateLimitPerMinute: number;
  /**
   * Longest wait for each 256 KiB of an upload's body (or its rest), in ms: a body that stalls or
   * trickles slower is refused with 408 `BODY_TIMEOUT`.
   */
  bodyTimeoutMs: number;
  /** Uploads one user may have in progress at once; the next is refused with 429 `TOO_MANY_UPLOADS`. */
  maxConcurrentUploads: number;
  /**
   * Slowest average rate of an upload's body after {@link Config.uploadGraceMs}, in bytes per
   * second: a slower one is ended with 408 `UPLOAD_TOO_SLOW`.
   */
  minUploadBytesPerSecond: number;
  /** How long an upload's body may come at any rate before the minimum average applies, in ms. */
  uploadGraceMs: number;
  /** A session unused for this long (ms) is over, whatever its absolute lifetime left. */
  sessionIdleTimeoutMs: number;
  /**
   * The contract's write API (`DIGIME_WRITE_API`): `postbox` (official SDK up to 8: sign-in with
   * the registered redirect URI, files sealed into a postbox) or `import` (SDK 9 on: sign-in by the
   * version-10 rule, files imported as they are over TLS, FHIR pushes, accounts, user deletion).
   */
  writeApi: WriteApi;
  /** Largest resumable upload (tus `Upload-Length`), in bytes (`TUS_MAX_UPLOAD_BYTES`). */
  tusMaxUploadBytes: number;
  /** Largest body of one tus PATCH, in bytes (`TUS_CHUNK_MAX_BYTES`): below the plan's request limit. */
  tusChunkMaxBytes: number;
  /** How long a resumable upload may take from its creation, in ms (`TUS_UPLOAD_TTL_SECONDS`). */
  tusUploadTtlMs: number;
}

/** The write APIs a contract can use. */
export type WriteApi = "postbox" | "import";

export type { SettingName } from "./settings.ts";

/** The raw settings as the runtime hands them over (vars and secrets are strings). */
export type RawSettings = Partial<Record<SettingName, unknown>>;

/**
 * A setting is missing or malformed. The message names the settings and what is expected of them,
 * never their values.
 */
export class ConfigError extends Error {
  /** The settings at fault. */
  readonly settings: SettingName[];

  /** @param problems - Each setting at fault, with what is expected of it (never its value). */
  constructor(problems: { setting: SettingName; expected: string }[]) {
    super(`Invalid configuration: ${problems.map((p) => `${p.setting} (${p.expected})`).join("; ")}`);
    this.name = "ConfigError";
    this.settings = problems.map((p) => p.setting);
  }
}

// Every message below is ours: zod's defaults could echo a received value. zod/mini keeps the
// bundle small (the full zod adds hundreds of KiB to the Worker).
const nonEmpty = (expected: string) =>
  z.string({ error: expected }).check(z.trim(), z.minLength(1, { error: expected }));

/**
 * `value` parsed, when it is an absolute http(s) URL without credentials.
 *
 * @param value - The text to parse.
 */
export function httpUrlOf(value: string): URL | undefined {
  const url = URL.parse(value);
  return url && (url.protocol === "https:" || url.protocol === "http:") && !url.username && !url.password
    ? url
    : undefined;
}

/**
 * Whether `hostname` (as `URL` normalises it) is a loopback host: `localhost`, 127.0.0.0/8 or
 * `[::1]`. Only there may a setting use plain http: anywhere else http turns off the key set's
 * origin pinning (digi.me's answers could be forged on the way) and the cookies' `Secure` flag.
 *
 * @param hostname - A URL's `hostname`.
 */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** `value` parsed, when it is an https URL, or an http URL on a loopback host (see above). */
const secureUrlOf = (value: string): URL | undefined => {
  const url = httpUrlOf(value);
  return url && (url.protocol === "https:" || isLoopbackHost(url.hostname)) ? url : undefined;
};

const isSecureUrl = (value: string) => secureUrlOf(value) !== undefined;

const HTTPS = "https, or http on a loopback host";

const secureUrl = (expected: string) => nonEmpty(expected).check(z.refine(isSecureUrl, { error: expected }));

/** The Worker's callback route: `DIGIME_REDIRECT_URI` must lead there, or sign-in can never finish. */
const CALLBACK_PATH = "/auth/callback";

// Any host (custom domains and proxies differ from the request's), but exactly the callback path,
// with no query or fragment: digi.me sends the user back to the registered URI verbatim.
const isCallbackUrl = (value: string) =>
  !/[?#]/.test(value) && secureUrlOf(value)?.pathname === CALLBACK_PATH;

const withSlash = (value: string) => (value.endsWith("/") ? value : `${value}/`);

/** What `DIGIME_PRIVATE_KEY` must be. */
export const PRIVATE_KEY_EXPECTED = "the contract's RSA private key in PEM";

// Real newlines for `\n` escapes. Whether it is a key is sdk-core's to say: `withConfig` imports it.
const privateKey = z.pipe(
  nonEmpty(PRIVATE_KEY_EXPECTED),
  z.transform((value) => value.replace(/\\n/g, "\n").replace(/\r\n/g, "\n").trim()),
);

/** The default of `name`, a whole number (see `settings.ts`). */
function numericDefault(name: SettingName): number {
  const setting: Setting = SETTINGS[name];
  return Number(setting.default);
}

const positiveInt = (expected: string, name: SettingName) =>
  z.pipe(
    z.optional(z.union([z.string({ error: expected }), z.number({ error: expected })], { error: expected })),
    z.transform((value, ctx) => {
      if (value === undefined || value === "") return numericDefault(name);
      const n = typeof value === "number" ? value : /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
      if (Number.isSafeInteger(n) && n > 0) return n;
      ctx.issues.push({ code: "custom", message: expected, input: "" });
      return z.NEVER;
    }),
  );

const WRITE_API = "postbox or import";
const writeApi = z.pipe(
  z.optional(z.string({ error: WRITE_API })),
  z.transform((value, ctx): WriteApi => {
    const api = value?.trim() || SETTINGS.DIGIME_WRITE_API.default;
    if (api === "postbox" || api === "import") return api;
    ctx.issues.push({ code: "custom", message: WRITE_API, input: "" });
    return z.NEVER;
  }),
);

const ORIGINS = `a comma-separated list of origins such as https://app.example (${HTTPS})`;
const originList = z.pipe(
  z.optional(z.string({ error: ORIGINS })),
  z.transform((value, ctx) => {
    const origins = new Set<string>();
    for (const item of (value ?? "").split(",")) {
      const candidate = item.trim().replace(/\/$/, "");
      if (!candidate) continue;
      const url = secureUrlOf(candidate);
      if (!url || url.origin !== candidate) {
        ctx.issues.push({ code: "custom", message: ORIGINS, input: "" });
        return z.NEVER;
      }
      origins.add(url.origin);
    }
    return origins as ReadonlySet<string>;
  }),
);

const REDIRECT = `this Worker's URL (${HTTPS}) with the path /auth/callback and no query or fragment`;

/** `SESSION_SECRET` in `.dev.vars.example`: copied unchanged, it is public, so it is refused. */
export const SESSION_SECRET_PLACEHOLDER = "replace-with-at-least-32-random-characters";

/**
 * Fewest different characters a `SESSION_SECRET` must have. A random one has many more: 32
 * characters of hex (16 symbols) have fewer than 8 different ones with a probability of about
 * 4 in 100 million, base64 far less. Repeats and short cycles (`aaaa…`, `abcabc…`, `12341234…`),
 * which people type as stand-ins, have fewer. This catches stand-ins, not weak randomness.
 */
export const MIN_SECRET_DISTINCT_CHARS = 8;

const isUsableSecret = (value: string) =>
  value.trim() !== SESSION_SECRET_PLACEHOLDER && new Set(value).size >= MIN_SECRET_DISTINCT_CHARS;

const SECRET = `a random secret of at least 32 characters (${MIN_SECRET_DISTINCT_CHARS} or more different ones), not the example file's placeholder`;

const SECONDS = "a positive whole number of seconds";
const BYTES = "a positive whole number of bytes";

// One validator for each setting of settings.ts, no more, no less (`satisfies`).
const validators = {
  DIGIME_APPLICATION_ID: nonEmpty("the digi.me application id"),
  DIGIME_CONTRACT_ID: nonEmpty("the digi.me contract id"),
  DIGIME_PRIVATE_KEY: privateKey,
  DIGIME_REDIRECT_URI: nonEmpty(REDIRECT).check(z.refine(isCallbackUrl, { error: REDIRECT })),
  DIGIME_BASE_URL: z.pipe(secureUrl(`the digi.me API root URL (${HTTPS})`), z.transform(withSlash)),
  DIGIME_ONBOARD_URL: z.pipe(secureUrl(`the digi.me onboarding root URL (${HTTPS})`), z.transform(withSlash)),
  SESSION_SECRET: z
    .string({ error: SECRET })
    .check(z.minLength(32, { error: SECRET }), z.refine(isUsableSecret, { error: SECRET })),
  ALLOWED_ORIGINS: originList,
  MAX_UPLOAD_BYTES: positiveInt(BYTES, "MAX_UPLOAD_BYTES"),
  RATE_LIMIT_PER_MINUTE: positiveInt("a positive whole number", "RATE_LIMIT_PER_MINUTE"),
  BODY_TIMEOUT_SECONDS: positiveInt(SECONDS, "BODY_TIMEOUT_SECONDS"),
  MAX_CONCURRENT_UPLOADS: positiveInt("a positive whole number", "MAX_CONCURRENT_UPLOADS"),
  MIN_UPLOAD_BYTES_PER_SECOND: positiveInt(
    "a positive whole number of bytes per second",
    "MIN_UPLOAD_BYTES_PER_SECOND",
  ),
  UPLOAD_GRACE_SECONDS: positiveInt(SECONDS, "UPLOAD_GRACE_SECONDS"),
  SESSION_IDLE_TIMEOUT_SECONDS: positiveInt(SECONDS, "SESSION_IDLE_TIMEOUT_SECONDS"),
  DIGIME_WRITE_API: writeApi,
  TUS_MAX_UPLOAD_BYTES: positiveInt(BYTES, "TUS_MAX_UPLOAD_BYTES"),
  TUS_CHUNK_MAX_BYTES: positiveInt(BYTES, "TUS_CHUNK_MAX_BYTES"),
  TUS_UPLOAD_TTL_SECONDS: positiveInt(SECONDS, "TUS_UPLOAD_TTL_SECONDS"),
} satisfies Record<SettingName, z.ZodMiniType>;

const schema = z.object(validators);

/**
 * Validates the settings. Throws {@link ConfigError} naming every missing or malformed setting.
 *
 * @param env - The Worker's bindings (or any object carrying the settings).
 * @returns The normalised configuration.
 */
export function parseConfig(env: RawSettings): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const seen = new Set<string>();
    const problems: { setting: SettingName; expected: string }[] = [];
    for (const issue of result.error.issues) {
      const setting = String(issue.path[0]) as SettingName;
      if (seen.has(setting)) continue;
      seen.add(setting);
      problems.push({ setting, expected: issue.message });
    }
    throw new ConfigError(problems);
  }
  const s = result.data;
  return {
    applicationId: s.DIGIME_APPLICATION_ID,
    contractId: s.DIGIME_CONTRACT_ID,
    privateKey: s.DIGIME_PRIVATE_KEY,
    redirectUri: s.DIGIME_REDIRECT_URI,
    baseUrl: s.DIGIME_BASE_URL,
    onboardUrl: s.DIGIME_ONBOARD_URL,
    sessionSecret: s.SESSION_SECRET,
    allowedOrigins: s.ALLOWED_ORIGINS,
    maxUploadBytes: s.MAX_UPLOAD_BYTES,
    rateLimitPerMinute: s.RATE_LIMIT_PER_MINUTE,
    bodyTimeoutMs: s.BODY_TIMEOUT_SECONDS * 1000,
    maxConcurrentUploads: s.MAX_CONCURRENT_UPLOADS,
    minUploadBytesPerSecond: s.MIN_UPLOAD_BYTES_PER_SECOND,
    uploadGraceMs: s.UPLOAD_GRACE_SECONDS * 1000,
    sessionIdleTimeoutMs: s.SESSION_IDLE_TIMEOUT_SECONDS * 1000,
    writeApi: s.DIGIME_WRITE_API,
    tusMaxUploadBytes: s.TUS_MAX_UPLOAD_BYTES,
    tusChunkMaxBytes: s.TUS_CHUNK_MAX_BYTES,
    tusUploadTtlMs: s.TUS_UPLOAD_TTL_SECONDS * 1000,
  };
}

const cache = new WeakMap<object, Config>();

/**
 * The configuration for these bindings, validated on first use and remembered per bindings object.
 *
 * @param env - The Worker's bindings.
 * @returns The normalised configuration.
 * @throws ConfigError when a setting is missing or malformed.
 */
export function getConfig(env: object): Config {
  let config = cache.get(env);
  if (!config) {
    config = parseConfig(env as RawSettings);
    cache.set(env, config);
  }
  return config;
}
