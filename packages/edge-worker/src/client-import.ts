/**
 * The typed client's calls beside uploads: the user's accounts (`GET /api/accounts`), FHIR pushes
 * to a health provider account (`POST /api/fhir/{version}`, import write API) and deleting the user
 * at digi.me (`DELETE /api/user`).
 */
import { EdgeClientError, INCLUDE, parse } from "./client-http.ts";
import type { AccountInfo, AccountsResult } from "./routes/accounts.ts";
import type { FhirPushRequest, FhirPushResult, FhirVersion } from "./routes/fhir.ts";
import type { DeleteUserResult } from "./routes/user.ts";

/** Options of {@link ImportApiMethods.pushFhir}. */
export interface PushFhirOptions {
  /** A `PUSH` account of the user (its `id` from {@link ImportApiMethods.accounts}). */
  accountId: string;
  /** The FHIR version (default `stu3`). */
  version?: FhirVersion;
  /** Cancels the call. */
  signal?: AbortSignal;
}

/** The client's calls of accounts, FHIR pushes and user deletion. */
export interface ImportApiMethods {
  /** The user's accounts at digi.me (never a token). */
  accounts(options?: { signal?: AbortSignal }): Promise<AccountInfo[]>;
  /**
   * Pushes a FHIR resource (usually a `Bundle`) to one of the user's `PUSH` accounts. Import
   * write API only (else 409 `IMPORT_API_REQUIRED`).
   *
   * @param resource - The FHIR resource: a JSON object with a `resourceType`.
   * @param options - The account, the FHIR version, cancellation.
   */
  pushFhir(resource: FhirPushRequest["resource"], options: PushFhirOptions): Promise<FhirPushResult>;
  /**
   * Deletes the user at digi.me (their library and every token), then the Worker forgets them and
   * clears the session cookie. Ask the user first: it cannot be undone.
   */
  deleteUser(options?: { signal?: AbortSignal }): Promise<DeleteUserResult>;
}

/**
 * The calls for a Worker at `base`.
 *
 * @param base - The Worker's origin without a trailing slash (`""` for the page's own).
 * @param fetchFn - The `fetch` to use.
 */
export function importApiMethods(base: string, fetchFn: typeof fetch): ImportApiMethods {
  const call = async <T>(path: string, init: RequestInit): Promise<T> => {
    let response: Response;
    try {
      response = await fetchFn(`${base}${path}`, { ...INCLUDE, ...init });
    } catch (error) {
      if (init.signal?.aborted) throw new EdgeClientError(0, "ABORTED", "the call was cancelled");
      throw new EdgeClientError(0, "NETWORK", error instanceof Error ? error.message : "no answer");
    }
    return parse<T>(response);
  };
  const signalOf = (signal: AbortSignal | undefined) => (signal ? { signal } : {});
  return {
    async accounts(options = {}) {
      const result = await call<AccountsResult>("/api/accounts", {
        method: "GET",
        ...signalOf(options.signal),
      });
      return result.accounts;
    },
    pushFhir(resource, { accountId, version = "stu3", signal }) {
      const body: FhirPushRequest = { accountId, resource };
      return call<FhirPushResult>(`/api/fhir/${encodeURIComponent(version)}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        ...signalOf(signal),
      });
    },
    deleteUser(options = {}) {
      return call<DeleteUserResult>("/api/user", { method: "DELETE", ...signalOf(options.signal) });
    },
  };
}
