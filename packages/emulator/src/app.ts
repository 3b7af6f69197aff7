import type { KeyObject } from "node:crypto";
import { type Context, Hono } from "hono";
import { html } from "hono/html";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AccountStore } from "./accounts.ts";
import { discardRequestBody } from "./body.ts";
import { type AppEnv, type EmulatorContext, type EmulatorSettings, type IdKind, PATHS } from "./context.ts";
import { type ContractInput, contractInputSchema, contractRecord } from "./contracts.ts";
import { ApiError, type ApiErrorBody, type ApiErrorCode, errorAnswer } from "./errors.ts";
import { FaultInjector, type FaultRules } from "./faults.ts";
import { page } from "./html.ts";
import { loadOrCreateSigningKey, type SigningKey, toSigningKey } from "./keys.ts";
import { accountsRoutes } from "./routes/accounts.ts";
import { adminRoutes } from "./routes/admin.ts";
import { authorizeRoutes } from "./routes/authorize.ts";
import { consentRoutes } from "./routes/consent.ts";
import { fhirRoutes } from "./routes/fhir.ts";
import { importRoutes } from "./routes/import.ts";
import { keySetRoutes } from "./routes/key-set.ts";
import { libraryRoutes } from "./routes/library.ts";
import { postboxRoutes } from "./routes/postbox.ts";
import { tokenRoutes } from "./routes/token.ts";
import { userRoutes } from "./routes/user.ts";
import { Stats } from "./stats.ts";
import { type Contract, newId, Store } from "./store.ts";

/** Options of {@link createEmulator}. Durations are in milliseconds. */
export interface EmulatorOptions {
  /** Data folder (SQLite, library files, keys). Without it (or with `memory`) nothing is kept. */
  dataDir?: string;
  /** In-memory database and a temporary file folder removed on `close()`. */
  memory?: boolean;
  /** Use this store instead of opening one (the emulator then does not close it). */
  store?: Store;
  /** Sign response tokens with this RSA private key instead of the data folder's. */
  signingKey?: KeyObject | string;
  /** Contracts to register (added or replaced at start). */
  contracts?: ContractInput[];
  /** Give consent without showing the page (default false). */
  autoApprove?: boolean;
  accessTokenTtlMs?: number;
  refreshTokenTtlMs?: number;
  authorizationCodeTtlMs?: number;
  preauthorizationTtlMs?: number;
  /** Accepted distance between a request's `timestamp` and the clock (default ±5 minutes). */
  timestampWindowMs?: number;
  /** Origin put in `jku` and links; by default the origin each request came to. */
  publicUrl?: string;
  /** Key set form: `pem` (digi.me's, default), `jwk` or `both`. */
  keySetFormat?: EmulatorSettings["keySetFormat"];
  /** Faults per route from the start. */
  faults?: FaultRules;
  /** Seed of the fault generator (default 1): the same seed fails the same requests. */
  faultSeed?: number;
  /**
   * The clock, ms since the epoch (default `Date.now`). Request timestamps, token, code and
   * authorization lifetimes are all judged by it: replaying recorded requests takes a clock set to
   * their recording time (see `clockFrom`).
   */
  now?: () => number;
  /**
   * Chooses identifiers the emulator would make at random (authorization codes, token values,
   * account ids and references): return one, or undefined for a random one. For replaying
   * recorded exchanges, whose later requests name the values of earlier answers.
   */
  ids?: (kind: IdKind) => string | undefined;
  /** Told about unexpected errors (returned as 500); default `console.error`. */
  onError?: (error: unknown) => void;
}

/** A created emulator: the Hono app and the state behind it. */
export interface Emulator {
  /** The Hono app; serve it with `@hono/node-server` (see `startEmulator`) or call `app.request()`. */
  app: Hono<AppEnv>;
  store: Store;
  /** The users' accounts (import contracts). */
  accounts: AccountStore;
  /** Live settings; change them directly or with `POST /admin/settings`. */
  settings: EmulatorSettings;
  stats: Stats;
  faults: FaultInjector;
  signingKey: SigningKey;
  /** What the routes share. */
  context: EmulatorContext;
  /** Registers (or replaces) a contract. */
  registerContract(input: ContractInput): Contract;
  /** Closes the store unless it was passed in. */
  close(): void;
}

/** Prefix and random bytes of each kind of identifier. */
const ID_SHAPES: Record<IdKind, [string, number]> = {
  authorizationCode: ["code_", 24],
  accessToken: ["at_", 32],
  refreshToken: ["rt_", 32],
  importAccount: ["acc_", 12],
  importAccountReference: ["ref_", 16],
  pushAccount: ["acc_", 12],
  pushAccountReference: ["ref_", 16],
};

const CODE_BY_STATUS: Partial<Record<number, ApiErrorBody["error"]["code"]>> = {
  400: "InvalidRequest",
  404: "NotFound",
  413: "PayloadTooLarge",
};

const indexPage = () =>
  page(
    "Emulator",
    html`<div class="card">
      <h1>digi.me emulator</h1>
      <p>A local stand-in for digi.me's write API. Point an SDK at the URLs below.</p>
      <ul class="facts">
        <li>API <code>baseUrl</code>: <code>${PATHS.api}</code></li>
        <li><code>onboardUrl</code>: <code>${PATHS.onboard}</code></li>
        <li>Key set: <a href="${PATHS.keySet}">${PATHS.keySet}</a></li>
        <li><a href="${PATHS.library}">Library</a> (<a href="${PATHS.library}/api/users">JSON</a>)</li>
        <li>Admin: <a href="${PATHS.admin}/stats">stats</a>, <a href="${PATHS.admin}/contracts">contracts</a>,
          <a href="${PATHS.admin}/faults">faults</a>, <a href="${PATHS.admin}/settings">settings</a></li>
        <li><a href="/healthz">/healthz</a></li>
      </ul>
    </div>`,
  );

/**
 * Builds the emulator: opens the store, loads (or makes) the signing key, registers contracts,
 * and assembles the Hono app with one sub-app per route and a global error handler that responds with
 * digi.me-style `{ error: { code, message, reference } }` (and the `X-Error-*` headers) and never
 * lets a request crash the process.
 */
export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const store = options.store ?? Store.open({ dataDir: options.dataDir, memory: options.memory });
  const ownsStore = !options.store;
  const signingKey = options.signingKey
    ? toSigningKey(options.signingKey)
    : loadOrCreateSigningKey(options.memory ? undefined : store.dataDir);
  const settings: EmulatorSettings = {
    autoApprove: options.autoApprove ?? false,
    accessTokenTtlMs: options.accessTokenTtlMs ?? 60 * 60_000,
    refreshTokenTtlMs: options.refreshTokenTtlMs ?? 30 * 24 * 60 * 60_000,
    authorizationCodeTtlMs: options.authorizationCodeTtlMs ?? 10 * 60_000,
    preauthorizationTtlMs: options.preauthorizationTtlMs ?? 30 * 60_000,
    timestampWindowMs: options.timestampWindowMs ?? 5 * 60_000,
    publicUrl: options.publicUrl,
    keySetFormat: options.keySetFormat ?? "pem",
  };
  const stats = new Stats();
  const faults = new FaultInjector({ rules: options.faults, seed: options.faultSeed });
  const context: EmulatorContext = {
    store,
    accounts: new AccountStore(store.db),
    settings,
    signingKey,
    stats,
    faults,
    now: options.now ?? Date.now,
    newId: (kind) => options.ids?.(kind) ?? newId(...ID_SHAPES[kind]),
  };
  const report = options.onError ?? ((error: unknown) => console.error("[digime-emulator]", error));

  const registerContract = (input: ContractInput): Contract => {
    return store.upsertContract(contractRecord(contractInputSchema.parse(input)));
  };
  for (const contract of options.contracts ?? []) registerContract(contract);

  const app = new Hono<AppEnv>()
    .get("/", (c) => c.html(indexPage()))
    .get("/healthz", (c) => c.json({ status: "ok", kid: signingKey.kid, files: store.countFiles() }))
    .route(PATHS.keySet, keySetRoutes(context))
    .route(`${PATHS.api}oauth/authorize`, authorizeRoutes(context))
    .route(`${PATHS.api}oauth/token`, tokenRoutes(context))
    .route(`${PATHS.api}permission-access/postbox`, postboxRoutes(context))
    .route(`${PATHS.api}permission-access/import`, importRoutes(context))
    .route(`${PATHS.api}permission-access/import`, fhirRoutes(context))
    .route(`${PATHS.api}permission-access/accounts`, accountsRoutes(context))
    .route(`${PATHS.api}user`, userRoutes(context))
    .route(`${PATHS.onboard}authorize`, consentRoutes(context))
    .route(PATHS.library, libraryRoutes(context))
    .route(PATHS.admin, adminRoutes(context));

  const answerError = (
    c: Context<AppEnv>,
    status: ContentfulStatusCode,
    code: ApiErrorCode,
    message: string,
    headers: Record<string, string> = {},
  ) => {
    const answer = errorAnswer(code, message);
    return c.json<ApiErrorBody>(answer.body, status, { ...headers, ...answer.headers });
  };
  app.notFound((c) => answerError(c, 404, "NotFound", `No route for ${c.req.method} ${c.req.path}`));
  app.onError(async (error, c) => {
    // Respond only once the client has finished sending (or gone): a reset beats no answer.
    await discardRequestBody(c).catch(() => {});
    if (error instanceof ApiError) {
      if (error.code !== "ConnectionDropped") stats.countError(error.status);
      return answerError(c, error.status, error.code, error.message, error.headers);
    }
    if (error instanceof HTTPException) {
      const status = error.status as ContentfulStatusCode;
      stats.countError(status);
      const code = CODE_BY_STATUS[status] ?? "InternalServerError";
      return answerError(c, status, code, error.message || "Request refused");
    }
    report(error);
    stats.countError(500);
    return answerError(c, 500, "InternalServerError", "Internal error");
  });

  return {
    app,
    store,
    accounts: context.accounts,
    settings,
    stats,
    faults,
    signingKey,
    context,
    registerContract,
    close: () => {
      if (ownsStore) store.close();
    },
  };
}
