import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Hono } from "hono";
import type { AppEnv, EmulatorContext } from "../context.ts";
import { ApiError, validationErrors } from "../errors.ts";
import { injectFaults } from "../faults.ts";
import { addToLibrary } from "../library-files.ts";
import { limitBody } from "../middleware/limit-body.ts";
import { liveAccessToken, requestJwt, userClaims } from "../middleware/request-jwt.ts";
import { countRequests } from "../stats.ts";
import { newId } from "../store.ts";
import { requireImportContract } from "./import.ts";

/** The FHIR versions the push accepts, as the path names them. */
export const FHIR_VERSIONS = ["stu3", "3.0.2"] as const;
/** The largest FHIR resource accepted (bytes). */
export const FHIR_MAX_BYTES = 16 * 1024 * 1024;

const parseResource = (bytes: Buffer): { resourceType: string } => {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch (cause) {
    throw validationErrors("The body is not JSON", cause);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw validationErrors("The body must be a JSON object (a FHIR resource)");
  }
  const { resourceType } = value as { resourceType?: unknown };
  if (typeof resourceType !== "string" || resourceType === "") {
    throw validationErrors("The FHIR resource has no resourceType");
  }
  return { resourceType };
};

/**
 * `POST {baseUrl}permission-access/import/h:accountId/fhir/{stu3|3.0.2}`: a FHIR resource pushed to
 * a health provider (`pushData`, type `provider`). `h:accountId` is a literal segment (else 404
 * `NotFound`, as an unknown version is). After the request JWT (406 `ValidationErrors` when missing
 * or malformed), the contract (403 `InsufficientScope` unless a writing import contract) and the
 * access token (401 `InvalidToken` when unknown, revoked or expired): the `accountId` header must be
 * there (406 `ValidationErrors`), name one of the user's accounts through this contract (404
 * `AccountNotFound`) of type `PUSH` (403 `InsufficientScope`); the body (at most 16 MiB, else 413)
 * must be a JSON object with a `resourceType` (406 `ValidationErrors`). The bytes are stored as
 * sent, in the user's library (`source: "fhir"`). Responds with `200 { status: "delivered", expires }`.
 */
export const fhirRoutes = (ctx: EmulatorContext) =>
  new Hono<AppEnv>().post(
    "/:segment/fhir/:version",
    countRequests({ stats: ctx.stats, route: "fhir" }),
    injectFaults({ faults: ctx.faults, stats: ctx.stats, route: "fhir" }),
    async (c, next) => {
      const version = c.req.param("version");
      if (
        c.req.param("segment") !== "h:accountId" ||
        !(FHIR_VERSIONS as readonly string[]).includes(version)
      ) {
        throw new ApiError(404, "NotFound", `No route for ${c.req.method} ${c.req.path}`);
      }
      await next();
    },
    limitBody({ maxBytes: FHIR_MAX_BYTES }),
    requestJwt({ ctx, schema: userClaims, malformed: validationErrors }),
    async (c) => {
      const { contract, payload } = c.var.request;
      requireImportContract(contract);
      const token = liveAccessToken(ctx, contract, payload.access_token);
      const accountId = c.req.header("accountid");
      if (!accountId) throw validationErrors("The accountId header is missing");
      const account = ctx.accounts.list(token.userId, contract.clientId).find((a) => a.id === accountId);
      if (!account)
        throw new ApiError(404, "AccountNotFound", `The account (${accountId}) is not the user's`);
      if (account.provider !== "health") {
        throw new ApiError(403, "InsufficientScope", `The account (${accountId}) is not a PUSH account`);
      }
      const bytes = Buffer.from(await c.req.arrayBuffer());
      const { resourceType } = parseResource(bytes);
      const tmpPath = join(ctx.store.tmpDir, newId("upload_", 12));
      await writeFile(tmpPath, bytes);
      const version = c.req.param("version") as (typeof FHIR_VERSIONS)[number];
      await addToLibrary(ctx, tmpPath, (id) => ({
        userId: token.userId,
        postboxId: null,
        clientId: contract.clientId,
        source: "fhir",
        accountId,
        fileName: `${resourceType}-${id}.json`,
        mimeType: "application/fhir+json",
        metadata: { standard: "fhir", version, accountId, resourceType },
        size: bytes.length,
        sha256: createHash("sha256").update(bytes).digest("hex"),
      }));
      ctx.stats.current.fhirPushes++;
      return c.json({ status: "delivered" as const, expires: token.expiresAt });
    },
  );
