import { type Context, Hono } from "hono";
import { z } from "zod";
import { readJsonBody } from "../body.ts";
import { type AppEnv, type EmulatorContext, emulatorSettingsSchema } from "../context.ts";
import { contractInputSchema, contractRecord } from "../contracts.ts";
import { invalidRequest } from "../errors.ts";
import { faultRuleSchema } from "../faults.ts";
import { limitBody } from "../middleware/limit-body.ts";
import { describeIssues } from "../middleware/request-jwt.ts";
import { ROUTES } from "../stats.ts";

const readJson = async <S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<z.infer<S>> => {
  const value = await readJsonBody(c);
  const parsed = schema.safeParse(value === undefined ? {} : value);
  if (!parsed.success) throw invalidRequest(describeIssues(parsed.error));
  return parsed.data;
};

const faultsBody = faultRuleSchema.extend({
  route: z.enum(ROUTES).optional(),
  seed: z.number().int().optional(),
});

const tokenFilter = z.strictObject({
  userId: z.string().optional(),
  postboxId: z.string().optional(),
  clientId: z.string().optional(),
  accessToken: z.string().optional(),
  kind: z.enum(["access", "refresh", "both"]).optional(),
});

const settingsBody = emulatorSettingsSchema.omit({ publicUrl: true }).partial();

/**
 * The admin API under `/admin`, for tests and scripts (no auth: the emulator listens on
 * 127.0.0.1 by default):
 * - `GET|POST /admin/contracts`: list, or register `{ applicationId, contractId, publicKey, redirectUri, name?, write? }`;
 * - `GET|POST|DELETE /admin/faults`: list; set one route's rule `{ route, latencyMs?, failNext?, errorRate?,
 *   statuses?, retryAfterSeconds?, dropNext?, dropRate?, dropAfterBytes? }` and/or reseed `{ seed }`;
 *   clear all (or `?route=`);
 * - `POST /admin/expire-tokens`, `POST /admin/revoke-tokens`: `{ userId?, postboxId?, clientId?, accessToken?, kind? }`
 *   (no filter: every token; `kind`: `access` by default for expiry, every kind for revocation);
 * - `GET|DELETE /admin/stats`: counters, or reset them;
 * - `GET|POST /admin/settings`: read or change `autoApprove`, token lifetimes, the timestamp window, the key set format.
 */
export const adminRoutes = (ctx: EmulatorContext) =>
  new Hono<AppEnv>()
    .use(limitBody())
    .get("/contracts", (c) => c.json({ contracts: ctx.store.listContracts() }))
    .post("/contracts", async (c) => {
      const input = await readJson(c, contractInputSchema);
      const contract = ctx.store.upsertContract(contractRecord(input));
      return c.json({ contract }, 201);
    })
    .get("/faults", (c) => c.json(ctx.faults.list()))
    .post("/faults", async (c) => {
      const { route, seed, ...rule } = await readJson(c, faultsBody);
      if (route === undefined && seed === undefined)
        throw invalidRequest("Give a route (with its rule) and/or a seed");
      if (seed !== undefined) ctx.faults.reseed(seed);
      if (route !== undefined) ctx.faults.set(route, rule);
      return c.json(ctx.faults.list());
    })
    .delete("/faults", (c) => {
      const route = c.req.query("route");
      if (route === undefined) ctx.faults.clear();
      else if ((ROUTES as readonly string[]).includes(route))
        ctx.faults.set(route as (typeof ROUTES)[number], null);
      else throw invalidRequest(`Unknown route ${route}; one of ${ROUTES.join(", ")}`);
      return c.json(ctx.faults.list());
    })
    .post("/expire-tokens", async (c) => {
      const { kind = "access", accessToken, ...filter } = await readJson(c, tokenFilter);
      const kinds = kind === "both" ? (["access", "refresh"] as const) : ([kind] as const);
      const expired = ctx.store.expireTokens({ ...filter, value: accessToken }, [...kinds], ctx.now());
      return c.json({ expired });
    })
    .post("/revoke-tokens", async (c) => {
      const { kind, accessToken, ...filter } = await readJson(c, tokenFilter);
      if (kind !== undefined) throw invalidRequest("revoke-tokens revokes every kind; drop `kind`");
      return c.json({ revoked: ctx.store.revokeTokens({ ...filter, value: accessToken }, ctx.now()) });
    })
    .get("/stats", (c) => c.json(ctx.stats.snapshot()))
    .delete("/stats", (c) => {
      ctx.stats.reset();
      return c.json(ctx.stats.snapshot());
    })
    .get("/settings", (c) => c.json(ctx.settings))
    .post("/settings", async (c) => {
      Object.assign(ctx.settings, await readJson(c, settingsBody));
      return c.json(ctx.settings);
    });
