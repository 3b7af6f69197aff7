import type { HttpBindings } from "@hono/node-server";
import type { AccountStore } from "./accounts.js";
import type { FaultInjector } from "./faults.js";
import type { SigningKey } from "./keys.js";
import type { Stats } from "./stats.js";
import type { Contract, Store } from "./store.js";

/** Where the API and the web onboarding live, relative to the emulator's origin. */
export const PATHS = {
  api: "/v1.7/",
  onboard: "/apps/saas/",
  keySet: "/v1.7/jwks/oauth",
  library: "/library",
  admin: "/admin",
} as const;

/** Settings that can change while the emulator runs (`POST /admin/settings`). */
export interface EmulatorSettings {
  /** Consent is given without showing the page: `GET {onboardUrl}authorize` redirects at once. */
  autoApprove: boolean;
  /** Lifetime of access tokens, ms (default 1 hour). */
  accessTokenTtlMs: number;
  /** Lifetime of refresh tokens, ms (default 30 days). */
  refreshTokenTtlMs: number;
  /** Lifetime of authorization codes, ms (default 10 minutes). */
  authorizationCodeTtlMs: number;
  /** Lifetime of a started authorization waiting for consent, ms (default 30 minutes). */
  preauthorizationTtlMs: number;
  /** How far a request's `timestamp` may be from the emulator's clock, ms (default 5 minutes). */
  timestampWindowMs: number;
  /** Origin used in `jku` and links; by default the origin the request came to. */
  publicUrl: string | undefined;
  /** How the key set lists keys: digi.me's `pem` (default), standard `jwk` members, or `both`. */
  keySetFormat: "pem" | "jwk" | "both";
}

/** What the emulator makes identifiers for (see `EmulatorOptions.ids`). */
export type IdKind =
  | "authorizationCode"
  | "accessToken"
  | "refreshToken"
  | "importAccount"
  | "importAccountReference"
  | "pushAccount"
  | "pushAccountReference";

/** Everything a route needs; built once by `createEmulator`. */
export interface EmulatorContext {
  store: Store;
  /** The users' accounts (`permission-access/accounts`). */
  accounts: AccountStore;
  settings: EmulatorSettings;
  signingKey: SigningKey;
  stats: Stats;
  faults: FaultInjector;
  /** The clock, ms since the epoch (injectable for tests). */
  now: () => number;
  /** A new identifier of this kind (random unless `EmulatorOptions.ids` says otherwise). */
  newId: (kind: IdKind) => string;
}

/** A request JWT that passed every check of `requestJwt`. */
export interface VerifiedRequest<P> {
  contract: Contract;
  payload: P;
}

/** Hono environment of the emulator app. `incoming` is there when served by `@hono/node-server`. */
export type AppEnv = {
  Bindings: Partial<HttpBindings>;
  Variables: { request: VerifiedRequest<unknown> };
};

/** The public origin for links and `jku`. */
export const originOf = (settings: EmulatorSettings, requestUrl: string): string =>
  (settings.publicUrl ?? new URL(requestUrl).origin).replace(/\/+$/, "");
