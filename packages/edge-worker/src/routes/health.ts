import { Hono } from "hono";
import type { AppEnv } from "../env.ts";

/** `GET /healthz`: the Worker runs. Reads no setting, so it responds even when configuration is broken. */
export const health = new Hono<AppEnv>().get("/healthz", (c) => c.json({ status: "ok" as const }));
