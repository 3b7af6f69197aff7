import { Hono } from "hono";
import type { AppEnv, EmulatorContext } from "../context.ts";
import { injectFaults } from "../faults.ts";
import { countRequests } from "../stats.ts";

/**
 * `GET {baseUrl}jwks/oauth`: the key set response tokens verify with, in digi.me's form
 * `{ keys: [{ kid, pem }] }` (or standard JWK members, per `settings.keySetFormat`).
 */
export const keySetRoutes = (ctx: EmulatorContext) =>
  new Hono<AppEnv>()
    .use(countRequests({ stats: ctx.stats, route: "keySet" }))
    .use(injectFaults({ faults: ctx.faults, stats: ctx.stats, route: "keySet" }))
    .get("/", (c) => {
      const { kid, publicJwk, publicKeyPem } = ctx.signingKey;
      const format = ctx.settings.keySetFormat;
      const pem = format === "jwk" ? {} : { pem: publicKeyPem };
      const jwk = format === "pem" ? {} : { ...publicJwk, alg: "PS512", use: "sig" };
      c.header("Cache-Control", "public, max-age=300");
      return c.json({ keys: [{ kid, ...pem, ...jwk }] });
    });
