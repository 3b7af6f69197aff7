import type { HttpBindings } from "@hono/node-server";
import { z } from "zod";
import type { AccountStore } from "./accounts.ts";
import type { FaultInjector } from "./faults.ts";
import type { SigningKey } from "./keys.ts";
import type { Stats } from "./stats.ts";
import type { Contract, Store } from "./store.ts";

/** Where the API and the web onboarding live, relative to the emulator's origin. */
export const PATHS = {
  api: "/v1.7/",
  onboard: "/apps/saas/",
  keySet: "/v1.7/jwks/oauth",
  library: "/library",
  admin: "/admin",
} as const;

/** How the key set can list its keys. */
export const KEY_SET_FORMATS = ["pem", "jwk", "both"] as const;

/**
 * Schema of the settings that can change while the emulator runs; `POST /admin/settings` takes
 * any of them but `publicUrl`.
 */
export const emulatorSettingsSchema = z.strictObject({
  /** Consent is given without showing the page: `GET {onboardUrl}authorize` redirects at once. */
  autoApprove: z.boolean(),
  /** Lifetime of access tokens, ms (default 1 hour). */
  accessTokenTtlMs: z.number().int().positive(),
  /** Lifetime of refresh tokens, ms (default 30 days). */
  refreshTokenTtlMs: z.number().int().positive(),
  /** Lifetime of authorization codes, ms (default 10 minutes). */
  authorizationCodeTtlMs: z.number().int().positive(),
  /** Lifetime of a started authorization waiting for consent, ms (default 30 minutes). */
  preauthorizationTtlMs: z.number().int().positive(),
  /** How far a request's `timestamp` may be from the emulator's clock, ms (default 5 minutes). */
  timestampWindowMs: z.number().int().nonnegative(),
  /** Origin used in `jku` and links; by default the origin the request came to. */
  publicUrl: z.union([z.string(), z.undefined()]),
  /** How the key set lists keys: digi.me's `pem` (default), standard `jwk` members, or `both`. */
  keySetFormat: z.enum(KEY_SET_FORMATS),
});

/** Settings that can change while the emulator runs (derived from {@link emulatorSettingsSchema}). */
export type EmulatorSettings = z.infer<typeof emulatorSettingsSchema>;

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
