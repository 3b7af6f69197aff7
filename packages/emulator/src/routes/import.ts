import { Hono } from "hono";
import { requestBodyStream } from "../body.ts";
import type { AppEnv, EmulatorContext } from "../context.ts";
import { ApiError, validationErrors } from "../errors.ts";
import { injectFaults } from "../faults.ts";
import { readFileDescriptor } from "../file-descriptor.ts";
import { addUploadToLibrary } from "../library-files.ts";
import { liveAccessToken, requestJwt, userClaims } from "../middleware/request-jwt.ts";
import { BodyCutError, receiveRawFile } from "../raw-upload.ts";
import { countRequests } from "../stats.ts";
import type { Contract } from "../store.ts";

/** 403 `InsufficientScope` unless the contract is a writing import contract. */
export const requireImportContract = (contract: Contract): void => {
  if (contract.writeApi !== "import" || !contract.write) {
    throw new ApiError(
      403,
      "InsufficientScope",
      `The contract (${contract.clientId}) is not an import contract with write access`,
    );
  }
};

/**
 * `POST {baseUrl}permission-access/import`: a file pushed into the library (`pushData`, type
 * `library`). After the request JWT checks (a missing or malformed one: 406 `ValidationErrors`):
 * 403 `InsufficientScope` for a contract that is not a writing import contract; 401
 * `InvalidToken` for an unknown, revoked or expired access token; the `FileDescriptor` header as
 * `readFileDescriptor` checks it. Then the body, the file's bytes as they are (chunked or with a
 * length, any Content-Type), streams to a temporary file and moves into the user's library once
 * whole, with the descriptor as its metadata. Responds with `200 { status: "delivered", expires }`.
 */
export const importRoutes = (ctx: EmulatorContext) =>
  new Hono<AppEnv>().post(
    "/",
    countRequests({ stats: ctx.stats, route: "import" }),
    injectFaults({ faults: ctx.faults, stats: ctx.stats, route: "import" }),
    requestJwt({ ctx, schema: userClaims, malformed: validationErrors }),
    async (c) => {
      const { contract, payload } = c.var.request;
      requireImportContract(contract);
      const token = liveAccessToken(ctx, contract, payload.access_token);
      const metadata = readFileDescriptor(c.req.header("filedescriptor"), contract);
      let received: Awaited<ReturnType<typeof receiveRawFile>>;
      try {
        received = await receiveRawFile(requestBodyStream(c), ctx.store.tmpDir);
      } catch (error) {
        if (error instanceof BodyCutError) {
          throw new ApiError(400, "InvalidRequest", error.message, { cause: error });
        }
        throw error;
      }
      await addUploadToLibrary(ctx, received, metadata, (id) => ({
        userId: token.userId,
        postboxId: null,
        clientId: contract.clientId,
        source: "import",
        // The SDK sends no file name on this path.
        fileName: id,
      }));
      ctx.stats.current.imports++;
      ctx.stats.current.bytesImported += received.size;
      return c.json({ status: "delivered" as const, expires: token.expiresAt });
    },
  );
