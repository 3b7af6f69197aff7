import { randomBytes } from "node:crypto";
import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { injectFaults } from "../src/faults.ts";
import { type AppEnv, FaultInjector, type RunningEmulator } from "../src/index.ts";
import { Stats } from "../src/stats.ts";
import type { Client, Onboarded } from "./support/client.ts";
import { errorOf, start, useEmulator } from "./support/emulator.ts";

let emu: RunningEmulator;
let client: Client;
let box: Onboarded;

useEmulator((setup) => ({ emu, client, box } = setup), { onboard: true });
afterEach(() => emu.faults.clear());

const setFault = (body: Record<string, unknown>) =>
  fetch(`${emu.adminUrl}/faults`, { method: "POST", body: JSON.stringify(body) });

describe("fault injection", () => {
  it("responds with 429 and Retry-After for the next request only", async () => {
    expect(
      (await setFault({ route: "postbox", failNext: 1, statuses: [429], retryAfterSeconds: 3 })).status,
    ).toBe(200);
    const res = await client.write(box, Buffer.from("x"));
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("3");
    expect((await errorOf(res)).code).toBe("TooManyRequests");
    expect((await client.write(box, Buffer.from("x"))).status).toBe(200);
  });

  it("takes the statuses in turn (500, 502, 503) and counts them", async () => {
    const before = emu.stats.snapshot();
    await setFault({ route: "token", failNext: 3, statuses: [500, 502, 503] });
    const codes = [];
    for (let i = 0; i < 4; i++) {
      const res = await client.refresh("rt_whatever");
      codes.push(res.status);
    }
    expect(codes).toEqual([500, 502, 503, 401]);
    const after = emu.stats.snapshot();
    expect(after.faults.errors - before.faults.errors).toBe(3);
    expect(after.requests.token - before.requests.token).toBe(4);
    expect((after.errors["502"] ?? 0) - (before.errors["502"] ?? 0)).toBe(1);
  });

  it("fails the same requests for the same seed (errorRate)", async () => {
    const run = async () => {
      await setFault({ seed: 42, route: "keySet", errorRate: 0.5, statuses: [500, 503] });
      const statuses = [];
      for (let i = 0; i < 12; i++) statuses.push((await fetch(emu.keySetUrl)).status);
      return statuses;
    };
    const first = await run();
    expect(first.filter((s) => s !== 200).length).toBeGreaterThan(0);
    expect(first.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(await run()).toEqual(first);
    // The injector alone is deterministic too.
    const decide = (seed: number) => {
      const f = new FaultInjector({ seed, rules: { token: { errorRate: 0.3 } } });
      return Array.from({ length: 20 }, () => f.decide("token").action.kind);
    };
    expect(decide(7)).toEqual(decide(7));
  });

  it("adds latency: waits the delay asked for before the route runs", async () => {
    // The middleware with a recording sleep: it asks for the rule's delay, then the route runs.
    const asked: number[] = [];
    const stats = new Stats();
    const faults = new FaultInjector({ rules: { keySet: { latencyMs: 200 } } });
    const sleep = async (ms: number) => void asked.push(ms);
    const app = new Hono<AppEnv>()
      .use(injectFaults({ faults, stats, route: "keySet", sleep }))
      .get("/", (c) => c.json(asked));
    expect(await (await app.request("/")).json()).toEqual([200]);
    expect(stats.current.faults.delayed).toBe(1);
    faults.clear();
    expect(await (await app.request("/")).json()).toEqual([200]);
    expect(stats.current.faults.delayed).toBe(1);
    // Over HTTP: a rule set through the admin API delays the route (counted), then responds.
    const before = emu.stats.snapshot().faults.delayed;
    await setFault({ route: "keySet", latencyMs: 10 });
    expect((await fetch(emu.keySetUrl)).status).toBe(200);
    expect(emu.stats.snapshot().faults.delayed).toBe(before + 1);
  });

  it("drops the connection after N bytes of the body, storing nothing", async () => {
    const before = emu.stats.snapshot();
    const files = emu.store.countFiles();
    await setFault({ route: "postbox", dropNext: 1, dropAfterBytes: 64 * 1024 });
    await expect(client.write(box, randomBytes(1024 * 1024))).rejects.toThrow();
    expect(emu.stats.snapshot().faults.dropped).toBe(before.faults.dropped + 1);
    expect(emu.store.countFiles()).toBe(files);
    expect((await client.write(box, Buffer.from("after"))).status).toBe(200);
  });

  it("drops at once on a small request", async () => {
    await setFault({ route: "authorize", dropNext: 1 });
    await expect(client.post("oauth/authorize", await client.authorizeJwt())).rejects.toThrow();
    expect((await client.post("oauth/authorize", await client.authorizeJwt())).status).toBe(200);
  });

  it("loses the answer after the write was stored (loseAnswerNext), then responds again", async () => {
    const before = emu.stats.snapshot();
    const files = emu.store.countFiles();
    const res = await setFault({ route: "postbox", loseAnswerNext: 1 });
    expect(res.status).toBe(200);
    await expect(client.write(box, randomBytes(200_000))).rejects.toThrow();
    // Handled in full: stored, counted as a write, yet no answer came back.
    expect(emu.store.countFiles()).toBe(files + 1);
    const after = emu.stats.snapshot();
    expect(after.writes).toBe(before.writes + 1);
    expect(after.faults.dropped).toBe(before.faults.dropped + 1);
    expect((await client.write(box, Buffer.from("after"))).status).toBe(200);
    expect(emu.store.countFiles()).toBe(files + 2);
  });

  it("loses answers of any route, never before an error fault; loseAnswerRate is seeded", async () => {
    await setFault({ route: "keySet", failNext: 1, loseAnswerNext: 1 });
    expect((await fetch(emu.keySetUrl)).status).toBe(503);
    await expect(fetch(emu.keySetUrl)).rejects.toThrow();
    expect((await fetch(emu.keySetUrl)).status).toBe(200);
    const decide = (seed: number) => {
      const f = new FaultInjector({ seed, rules: { postbox: { loseAnswerRate: 0.5 } } });
      return Array.from({ length: 20 }, () => f.decide("postbox").action.kind);
    };
    expect(decide(3)).toEqual(decide(3));
    expect(new Set(decide(3))).toEqual(new Set(["pass", "lose-answer"]));
  });

  it("lists, clears and validates rules over the admin API", async () => {
    await setFault({ route: "library", latencyMs: 1 });
    const listed = (await (await fetch(`${emu.adminUrl}/faults`)).json()) as {
      rules: Record<string, unknown>;
    };
    expect(listed.rules.library).toEqual({ latencyMs: 1 });
    await fetch(`${emu.adminUrl}/faults?route=library`, { method: "DELETE" });
    expect(((await (await fetch(`${emu.adminUrl}/faults`)).json()) as { rules: object }).rules).toEqual({});
    for (const bad of [
      { route: "nope", failNext: 1 },
      { route: "token", statuses: [418] },
      { failNext: 1 },
      { route: "token", errorRate: 2 },
      { route: "postbox", loseAnswerNext: -1 },
      { route: "postbox", loseAnswerRate: 1.5 },
    ]) {
      expect((await setFault(bad)).status, JSON.stringify(bad)).toBe(400);
    }
  });

  it("can be set from startEmulator", async () => {
    const other = await start({ faults: { keySet: { failNext: 1, statuses: [503], retryAfterSeconds: 9 } } });
    try {
      const res = await fetch(other.keySetUrl);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("9");
      expect((await fetch(other.keySetUrl)).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describe("stats", () => {
  it("counts exactly one refresh, one write and the requests per route; reset zeroes them", async () => {
    await fetch(`${emu.adminUrl}/stats`, { method: "DELETE" });
    const mine = await client.onboard();
    const fresh = await client.tokensOf(await client.refresh(mine.refreshToken));
    await client.write({ ...mine, accessToken: fresh.access_token.value }, Buffer.from("abc"));
    const stats = (await (
      await fetch(`${emu.adminUrl}/stats`)
    ).json()) as import("../src/index.ts").StatsSnapshot;
    expect(stats).toMatchObject({
      authorizations: 1,
      codeExchanges: 1,
      refreshes: 1,
      writes: 1,
      bytesWritten: 3,
      pending: 0,
      consents: { allowed: 1, denied: 0 },
    });
    expect(stats.requests).toMatchObject({ authorize: 1, token: 2, postbox: 1, consent: 1 });
  });
});
