import { Hono } from "hono";
import type { AppEnv } from "./env.ts";
import { ApiError } from "./errors.ts";
import { withConfig } from "./middleware/config.ts";
import { corsForAllowedOrigins } from "./middleware/cors.ts";
import { securityHeaders } from "./middleware/security-headers.ts";
import { accounts } from "./routes/accounts.ts";
import { auth } from "./routes/auth.ts";
import { fhir } from "./routes/fhir.ts";
import { files } from "./routes/files.ts";
import { health } from "./routes/health.ts";
import { sealedFiles } from "./routes/sealed-files.ts";
import { session } from "./routes/session.ts";
import { tusDiscovery, uploads } from "./routes/uploads.ts";
import { user } from "./routes/user.ts";

export type { Config, WriteApi } from "./config.ts";
export type { ApiErrorCode, ErrorBody } from "./errors.ts";
export { SEALED_HEADERS } from "./lib/sealed-envelope.ts";
export type { AccountInfo, AccountsResult } from "./routes/accounts.ts";
export type { FhirPushRequest, FhirPushResult, FhirVersion } from "./routes/fhir.ts";
export type { UploadResult } from "./routes/files.ts";
export type { SealedUploadResult } from "./routes/sealed-files.ts";
export type { SessionInfo } from "./routes/session.ts";
export type { DeleteUserResult } from "./routes/user.ts";
export { UserVault } from "./vault.ts";

/**
 * The Worker: security headers and CORS on everything, the configuration validated on first use by
 * every route but `/healthz`, and every failure returned as JSON `{ error: { code, message } }`.
 */
const app = new Hono<AppEnv>()
  .use(securityHeaders())
  .use("/api/uploads/*", tusDiscovery())
  .use(corsForAllowedOrigins())
  .route("/", health)
  .use("/auth/*", withConfig())
  .use("/api/*", withConfig())
  .route("/auth", auth)
  .route("/api", session)
  .route("/api", files)
  .route("/api", sealedFiles)
  .route("/api", fhir)
  .route("/api", accounts)
  .route("/api", user)
  .route("/api", uploads);

app.notFound(() => new ApiError(404, "NOT_FOUND", "no such route").toResponse());

app.onError((error) => {
  if (error instanceof ApiError) {
    if (error.status >= 500)
      console.error(JSON.stringify({ event: "error", code: error.code, status: error.status }));
    return error.toResponse();
  }
  // Unexpected: log the kind only (a message could carry anything), respond with a generic 500.
  console.error(
    JSON.stringify({ event: "unexpected_error", name: error instanceof Error ? error.name : typeof error }),
  );
  return new ApiError(500, "INTERNAL", "something went wrong").toResponse();
});

/** The type of the Worker's routes, for `hc` (see `@digime-edge/edge-worker/client`). */
export type AppType = typeof app;

/** The Worker: `fetch` handles every route. */
export default app;
