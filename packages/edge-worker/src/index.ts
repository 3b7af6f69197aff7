import { Hono } from "hono";
import type { AppEnv } from "./env";
import { ApiError } from "./errors";
import { withConfig } from "./middleware/config";
import { corsForAllowedOrigins } from "./middleware/cors";
import { securityHeaders } from "./middleware/security-headers";
import { accounts } from "./routes/accounts";
import { auth } from "./routes/auth";
import { fhir } from "./routes/fhir";
import { files } from "./routes/files";
import { health } from "./routes/health";
import { sealedFiles } from "./routes/sealed-files";
import { session } from "./routes/session";
import { tusDiscovery, uploads } from "./routes/uploads";
import { user } from "./routes/user";

export type { Config, WriteApi } from "./config";
export type { ApiErrorCode, ErrorBody } from "./errors";
export { SEALED_HEADERS } from "./lib/sealed-envelope";
export type { AccountInfo, AccountsResult } from "./routes/accounts";
export type { FhirPushRequest, FhirPushResult, FhirVersion } from "./routes/fhir";
export type { UploadResult } from "./routes/files";
export type { SealedUploadResult } from "./routes/sealed-files";
export type { SessionInfo } from "./routes/session";
export type { DeleteUserResult } from "./routes/user";
export { UserVault } from "./vault";

/**
 * The Worker: security headers and CORS on everything, the configuration validated on first use by
 * every route but `/healthz`, and every failure answered as JSON `{ error: { code, message } }`.
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
  // Unexpected: log the kind only (a message could carry anything), answer a generic 500.
  console.error(
    JSON.stringify({ event: "unexpected_error", name: error instanceof Error ? error.name : typeof error }),
  );
  return new ApiError(500, "INTERNAL", "something went wrong").toResponse();
});

/** The type of the Worker's routes, for `hc` (see `@digime-edge/edge-worker/client`). */
export type AppType = typeof app;

/** The Worker: `fetch` handles every route. */
export default app;
