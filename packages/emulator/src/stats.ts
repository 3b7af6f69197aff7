import { createMiddleware } from "hono/factory";

/** Names of the routes that are counted and can be given faults. */
export const ROUTES = [
  "authorize",
  "token",
  "postbox",
  "keySet",
  "consent",
  "library",
  "import",
  "fhir",
  "accounts",
  "user",
] as const;
/** One of {@link ROUTES}. */
export type RouteName = (typeof ROUTES)[number];

/** Counters tests assert on (`GET /admin/stats`), e.g. "exactly one refresh happened". */
export interface StatsSnapshot {
  /** Requests that reached each route (faulted ones included). */
  requests: Record<RouteName, number>;
  /** `oauth/authorize` calls that returned a preauthorization code. */
  authorizations: number;
  consents: { allowed: number; denied: number };
  /** Successful `authorization_code` grants. */
  codeExchanges: number;
  /** Successful `refresh_token` grants. */
  refreshes: number;
  /** Files delivered to a library. */
  writes: number;
  /** Write requests that got `pending` (expired access token). */
  pending: number;
  /** Decrypted bytes stored by delivered writes. */
  bytesWritten: number;
  /** Files stored by `permission-access/import`. */
  imports: number;
  /** Bytes stored by imports. */
  bytesImported: number;
  /** FHIR resources stored by provider pushes. */
  fhirPushes: number;
  /** Users deleted by `DELETE user`. */
  userDeletions: number;
  /** Error answers by status (refusals and injected faults). */
  errors: Record<string, number>;
  faults: { delayed: number; errors: number; dropped: number };
}

const zeroRequests = (): Record<RouteName, number> =>
  Object.fromEntries(ROUTES.map((r) => [r, 0])) as Record<RouteName, number>;

const empty = (): StatsSnapshot => ({
  requests: zeroRequests(),
  authorizations: 0,
  consents: { allowed: 0, denied: 0 },
  codeExchanges: 0,
  refreshes: 0,
  writes: 0,
  pending: 0,
  bytesWritten: 0,
  imports: 0,
  bytesImported: 0,
  fhirPushes: 0,
  userDeletions: 0,
  errors: {},
  faults: { delayed: 0, errors: 0, dropped: 0 },
});

/** Mutable counters; kept in memory (they restart from zero with the process). */
export class Stats {
  /** The live counters. */
  current: StatsSnapshot = empty();

  /** A deep copy of the counters. */
  snapshot(): StatsSnapshot {
    return structuredClone(this.current);
  }

  /** Sets every counter back to zero. */
  reset(): void {
    this.current = empty();
  }

  /** Counts an error answer. */
  countError(status: number): void {
    const key = String(status);
    this.current.errors[key] = (this.current.errors[key] ?? 0) + 1;
  }
}

/** Middleware factory: counts each request that reaches `route`. */
export const countRequests = ({ stats, route }: { stats: Stats; route: RouteName }) =>
  createMiddleware(async (_c, next) => {
    stats.current.requests[route]++;
    await next();
  });
