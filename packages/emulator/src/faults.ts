import { setTimeout as delay } from "node:timers/promises";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { dropConnection, incomingOf } from "./body.ts";
import type { AppEnv } from "./context.ts";
import { ApiError, type ApiErrorCode } from "./errors.ts";
import { ROUTES, type RouteName, type Stats } from "./stats.ts";

/** Statuses a fault can respond with. */
export const FAULT_STATUSES = [429, 500, 502, 503] as const;
/** One of {@link FAULT_STATUSES}. */
export type FaultStatus = (typeof FAULT_STATUSES)[number];

const CODES: Record<FaultStatus, ApiErrorCode> = {
  429: "TooManyRequests",
  500: "InternalServerError",
  502: "BadGateway",
  503: "ServiceUnavailable",
};

/**
 * Schema of a {@link FaultRule}, as `POST /admin/faults` and `createEmulator({ faults })` accept
 * it. Deterministic faults (`failNext`, `dropNext`, `loseAnswerNext`) come first; rates draw from
 * the injector's seeded generator, so a run with the same seed fails the same requests. A request
 * is dropped, else failed, else its answer may be lost.
 */
export const faultRuleSchema = z.strictObject({
  /** Delay before the route runs, in ms. */
  latencyMs: z.number().int().min(0).max(600_000).optional(),
  /** The next N requests fail, taking `statuses` in turn. */
  failNext: z.number().int().min(0).optional(),
  /** Share (0..1) of requests that fail with a status drawn from `statuses`. */
  errorRate: z.number().min(0).max(1).optional(),
  /** Statuses to fail with (default `[503]`). */
  statuses: z
    .array(z.union(FAULT_STATUSES.map((s) => z.literal(s))))
    .min(1)
    .optional(),
  /** `Retry-After` seconds on 429 (default 1) and on 503 (only when set). */
  retryAfterSeconds: z.number().int().min(0).optional(),
  /** The next N requests have their connection dropped. */
  dropNext: z.number().int().min(0).optional(),
  /** Share (0..1) of requests whose connection is dropped. */
  dropRate: z.number().min(0).max(1).optional(),
  /** Bytes of the body read before a drop (default 0: drop at once). */
  dropAfterBytes: z.number().int().min(0).optional(),
  /**
   * The next N requests that get through are handled in full (a write is stored), then their
   * connection is cut instead of sending the response: the client cannot know the outcome.
   */
  loseAnswerNext: z.number().int().min(0).optional(),
  /** Share (0..1) of requests that get through whose answer is lost so. */
  loseAnswerRate: z.number().min(0).max(1).optional(),
});

/** Faults for one route (see {@link faultRuleSchema}, which it is derived from). */
export type FaultRule = z.input<typeof faultRuleSchema>;

/** Faults per route, as accepted by `createEmulator({ faults })`. */
export type FaultRules = Partial<Record<RouteName, FaultRule>>;

/** What to do with one request. */
export type FaultDecision = {
  latencyMs: number;
  action:
    | { kind: "pass" }
    | { kind: "error"; status: FaultStatus; retryAfterSeconds?: number }
    | { kind: "drop"; afterBytes: number }
    | { kind: "lose-answer" };
};

/**
 * mulberry32: a small, fast, seedable generator (numbers in [0, 1)); plenty for choosing which
 * requests fail, and for tests that want the same "random" run every time.
 */
export const seeded = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** Holds the fault rules per route and decides, request by request, what fails. */
export class FaultInjector {
  #rules = new Map<RouteName, FaultRule>();
  #turn = new Map<RouteName, number>();
  #random: () => number;
  #seed: number;

  constructor(options: { rules?: FaultRules; seed?: number } = {}) {
    this.#seed = options.seed ?? 1;
    this.#random = seeded(this.#seed);
    for (const [route, rule] of Object.entries(options.rules ?? {})) this.set(route as RouteName, rule);
  }

  /** Sets (replaces) the rule of `route`; `null` removes it. */
  set(route: RouteName, rule: FaultRule | null): void {
    if (!ROUTES.includes(route)) throw new TypeError(`Unknown route ${route}`);
    this.#turn.delete(route);
    if (rule) this.#rules.set(route, { ...faultRuleSchema.parse(rule) });
    else this.#rules.delete(route);
  }

  /** Removes every rule. */
  clear(): void {
    this.#rules.clear();
    this.#turn.clear();
  }

  /** Restarts the random generator with `seed`. */
  reseed(seed: number): void {
    this.#seed = seed;
    this.#random = seeded(seed);
  }

  /** The rules in force (with remaining `failNext`/`dropNext`/`loseAnswerNext` counts) and the seed. */
  list(): { seed: number; rules: FaultRules } {
    return { seed: this.#seed, rules: Object.fromEntries(this.#rules) as FaultRules };
  }

  /** Decides the fate of one request to `route`, counting down `failNext`/`dropNext`/`loseAnswerNext`. */
  decide(route: RouteName): FaultDecision {
    const rule = this.#rules.get(route);
    if (!rule) return { latencyMs: 0, action: { kind: "pass" } };
    const latencyMs = rule.latencyMs ?? 0;
    const statuses = rule.statuses ?? [503];
    if (rule.dropNext) {
      rule.dropNext--;
      return { latencyMs, action: { kind: "drop", afterBytes: rule.dropAfterBytes ?? 0 } };
    }
    if (rule.dropRate && this.#random() < rule.dropRate) {
      return { latencyMs, action: { kind: "drop", afterBytes: rule.dropAfterBytes ?? 0 } };
    }
    let status: FaultStatus | undefined;
    if (rule.failNext) {
      rule.failNext--;
      const turn = this.#turn.get(route) ?? 0;
      this.#turn.set(route, turn + 1);
      status = statuses[turn % statuses.length];
    } else if (rule.errorRate && this.#random() < rule.errorRate) {
      status = statuses[Math.floor(this.#random() * statuses.length)];
    }
    if (status === undefined) {
      if (rule.loseAnswerNext) {
        rule.loseAnswerNext--;
        return { latencyMs, action: { kind: "lose-answer" } };
      }
      if (rule.loseAnswerRate && this.#random() < rule.loseAnswerRate) {
        return { latencyMs, action: { kind: "lose-answer" } };
      }
      return { latencyMs, action: { kind: "pass" } };
    }
    const retryAfterSeconds =
      status === 429 ? (rule.retryAfterSeconds ?? 1) : status === 503 ? rule.retryAfterSeconds : undefined;
    return {
      latencyMs,
      action: { kind: "error", status, ...(retryAfterSeconds !== undefined && { retryAfterSeconds }) },
    };
  }
}

/**
 * Middleware factory: applies the injector's decision for `route` (delay, error answer or dropped
 * connection) before the route runs, or loses its answer after it ran. `sleep` waits out the
 * latency (a test passes its own to see the delay asked for).
 */
export const injectFaults = ({
  faults,
  stats,
  route,
  sleep = delay,
}: {
  faults: FaultInjector;
  stats: Stats;
  route: RouteName;
  sleep?: (ms: number) => Promise<unknown>;
}) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const { latencyMs, action } = faults.decide(route);
    if (latencyMs > 0) {
      stats.current.faults.delayed++;
      await sleep(latencyMs);
    }
    if (action.kind === "drop") {
      stats.current.faults.dropped++;
      await dropConnection(c, action.afterBytes);
      // Nobody reads this answer: the socket is gone (or, without one, the body was cancelled).
      throw new ApiError(500, "ConnectionDropped", "The connection was dropped (injected fault)");
    }
    if (action.kind === "error") {
      stats.current.faults.errors++;
      const headers: Record<string, string> =
        action.retryAfterSeconds !== undefined ? { "Retry-After": String(action.retryAfterSeconds) } : {};
      throw new ApiError(
        action.status,
        CODES[action.status],
        `Injected fault: ${action.status} on ${route}`,
        {
          headers,
        },
      );
    }
    await next();
    if (action.kind === "lose-answer") {
      stats.current.faults.dropped++;
      // The route has run (a write is stored); its answer never leaves: the socket goes first.
      incomingOf(c)?.socket.destroy();
      throw new ApiError(
        500,
        "ConnectionDropped",
        "The answer was lost after the request was handled (injected fault)",
      );
    }
  });
