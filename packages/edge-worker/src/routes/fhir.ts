import { ServerError } from "@digime-edge/sdk-core";
import { isAccountId } from "@digime-edge/sdk-core/internal";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { readBodyChunks } from "../lib/body-chunks.ts";
import { contractDetails, describeDigiMeFailure, failureToError, getSdk } from "../lib/digime.ts";
import { admitWrite, bodyTiming, declaredLength, UploadRun } from "../lib/upload.ts";
import { originCheck } from "../middleware/origin-check.ts";
import { requireSession } from "../middleware/session.ts";
import { requireWriteApi } from "../middleware/write-api.ts";

/** The FHIR versions digi.me takes (`permission-access/import/h:accountId/fhir/{version}`). */
export const FHIR_VERSIONS = ["stu3", "3.0.2"] as const;
/** A FHIR version digi.me takes. */
export type FhirVersion = (typeof FHIR_VERSIONS)[number];

/**
 * Largest request body of `POST /api/fhir/{version}` (or `MAX_UPLOAD_BYTES` when smaller): it is
 * read whole (its JSON is checked before anything is sent), so it is kept small.
 */
export const MAX_FHIR_BYTES = 4 * 1024 * 1024;

/** The request body of `POST /api/fhir/{version}`. */
export interface FhirPushRequest {
  /** A `PUSH` account of the user (its `id` from `GET /api/accounts`). */
  accountId: string;
  /** The FHIR resource, usually a `Bundle`: a JSON object with a `resourceType`. */
  resource: { resourceType: string; [member: string]: unknown };
}

/** What `POST /api/fhir/{version}` returns on success. */
export interface FhirPushResult {
  /** digi.me took the resource. */
  status: "delivered";
  /** The account it went to. */
  accountId: string;
  /** The FHIR version it was sent as. */
  version: FhirVersion;
  /** The resource's `resourceType`. */
  resourceType: string;
  /** Size of the request body, in bytes. */
  bytes: number;
}

/**
 * Whether `id` is an account id sdk-core's `pushData` takes (it travels in a header), and at most
 * 256 characters.
 */
const isPushAccountId = (id: string): boolean => id.length <= 256 && isAccountId(id);

const badBody = (message: string) => new ApiError(400, "BAD_FHIR_BODY", message);

/** The checked request, from the body's text. */
function parseRequest(text: string): FhirPushRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badBody("the body is not JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw badBody("send { accountId, resource }");
  const { accountId, resource } = body as Record<string, unknown>;
  if (typeof accountId !== "string" || !isPushAccountId(accountId)) {
    throw new ApiError(400, "BAD_ACCOUNT_ID", "accountId must be the id of one of your PUSH accounts");
  }
  if (typeof resource !== "object" || resource === null || Array.isArray(resource))
    throw badBody("resource must be a FHIR resource (a JSON object)");
  const { resourceType } = resource as Record<string, unknown>;
  if (typeof resourceType !== "string" || resourceType === "")
    throw badBody("resource must have a resourceType");
  return { accountId, resource: resource as FhirPushRequest["resource"] };
}

/** digi.me's refusals of the account, in the app's words; anything else as for uploads. */
function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ServerError && error.code === "AccountNotFound") {
    return new ApiError(400, "ACCOUNT_NOT_FOUND", "accountId names none of your accounts", {
      upstream: error.code,
    });
  }
  if (error instanceof ServerError && error.status === 403 && error.code === "InsufficientScope") {
    return new ApiError(403, "NOT_A_PUSH_ACCOUNT", "digi.me takes FHIR pushes only for a PUSH account", {
      upstream: error.code,
    });
  }
  // A push is a write: a gateway failure after it went out is an unknown outcome.
  return failureToError(describeDigiMeFailure(error, true));
}

/**
 * `POST /api/fhir/{version}` (import write API only, else 409 `IMPORT_API_REQUIRED`): pushes a FHIR
 * resource to one of the user's health provider (`PUSH`) accounts with sdk-core's `pushData`
 * (`type: "provider"`). The JSON body `{ accountId, resource }` is read whole (at most
 * {@link MAX_FHIR_BYTES}, else 413 `PAYLOAD_TOO_LARGE`) and checked before anything is sent. The
 * account is not looked up first: digi.me decides, and its refusals are returned as 400
 * `ACCOUNT_NOT_FOUND` (not the user's) and 403 `NOT_A_PUSH_ACCOUNT`. Origin, session, rate budget,
 * the upload slots and body timing are the uploads'.
 */
export const fhir = new Hono<AppEnv>().post(
  "/fhir/:version",
  originCheck(),
  requireWriteApi("import"),
  requireSession(),
  async (c) => {
    const config = c.get("config");
    const version = c.req.param("version");
    if (!(FHIR_VERSIONS as readonly string[]).includes(version)) {
      throw new ApiError(
        400,
        "BAD_FHIR_VERSION",
        `the FHIR version must be one of ${FHIR_VERSIONS.join(", ")}`,
      );
    }
    const type = c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase();
    if (type !== "application/json") {
      throw new ApiError(400, "BAD_CONTENT_TYPE", "send { accountId, resource } as application/json");
    }
    const limit = Math.min(MAX_FHIR_BYTES, config.maxUploadBytes);
    const tooLarge = () =>
      new ApiError(413, "PAYLOAD_TOO_LARGE", `the request body is larger than the limit of ${limit} bytes`);
    const declared = declaredLength(c);
    if (declared !== undefined && declared > limit) throw tooLarge();
    const body = c.req.raw.body;
    if (!body) throw badBody("send { accountId, resource }");

    const grant = await admitWrite(c);
    try {
      const { chunks, cancel } = readBodyChunks(body, undefined, bodyTiming(c));
      const run = new UploadRun({ toError: asApiError, cancel });
      const parts: Uint8Array<ArrayBuffer>[] = [];
      try {
        for await (const chunk of chunks) {
          run.bytes += chunk.byteLength;
          if (run.bytes > limit) throw tooLarge();
          if (declared !== undefined && run.bytes > declared)
            throw badBody("the body is longer than its Content-Length");
          parts.push(chunk as Uint8Array<ArrayBuffer>);
        }
      } catch (error) {
        throw await run.failed(error);
      }
      const request = parseRequest(await new Blob(parts).text());
      try {
        await getSdk(config).pushData({
          type: "provider",
          contractDetails: contractDetails(config),
          userAccessToken: grant.token,
          data: request.resource,
          standard: "fhir",
          version: version as FhirVersion,
          accountId: request.accountId,
          signal: run.upstream.signal,
          refresh: run.refresher(c),
        });
      } catch (error) {
        throw await run.failed(error);
      }
      return c.json({
        status: "delivered",
        accountId: request.accountId,
        version: version as FhirVersion,
        resourceType: request.resource.resourceType,
        bytes: run.bytes,
      } satisfies FhirPushResult);
    } finally {
      await grant.release();
    }
  },
);
