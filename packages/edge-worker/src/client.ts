/**
 * @packageDocumentation A small typed client for the edge Worker, for the browser app: session
 * check, sign-in URL, sign-out and uploads with progress, plain (`upload`: the Worker encrypts) or
 * sealed (`uploadSealed`: the browser encrypts with sdk-core's `seal`, and the Worker only signs and
 * forwards ciphertext). Built on Hono's `hc`; the app never sees a key or a token, only its session
 * cookie (sent with `credentials: "include"`).
 */
import { hc } from "hono/client";
import { INCLUDE, parse } from "./client-http.ts";
import { type ImportApiMethods, importApiMethods } from "./client-import.ts";
import { type ResumableMethods, resumableMethods } from "./client-resumable.ts";
import { type UploadMethods, uploadMethods } from "./client-upload.ts";
import type { AppType } from "./index.ts";
import type { LogoutResult } from "./lib/logout.ts";
import type { SessionInfo } from "./routes/session.ts";

export { EdgeClientError, type EdgeErrorCode, toError } from "./client-http.ts";
export type { ImportApiMethods, PushFhirOptions } from "./client-import.ts";
export type {
  ResumableMethods,
  ResumablePlan,
  ResumablePlanOptions,
  ResumableUploadOptions,
} from "./client-resumable.ts";
export type { SealedTransport, SealedUploadOptions, UploadMethods, UploadOptions } from "./client-upload.ts";
export type { ApiErrorCode } from "./errors.ts";
export type { AppType } from "./index.ts";
export type { DescriptorInput as FileDescriptorInput } from "./lib/descriptor.ts";
export type { LogoutResult } from "./lib/logout.ts";
export { SEALED_HEADERS } from "./lib/sealed-envelope.ts";
export type { AccountInfo, AccountsResult } from "./routes/accounts.ts";
export type { FhirPushRequest, FhirPushResult, FhirVersion } from "./routes/fhir.ts";
export type { UploadResult } from "./routes/files.ts";
export type { SealedUploadResult } from "./routes/sealed-files.ts";
export type { SessionInfo, WriteApi } from "./routes/session.ts";
export type { DeleteUserResult } from "./routes/user.ts";

/** Options of {@link createClient}. */
export interface EdgeClientOptions {
  /** A `fetch` to use instead of the global one (uploads then use it too, without XHR). */
  fetch?: typeof fetch;
}

/** Options of {@link EdgeClient.signInUrl}. */
export interface SignInOptions {
  /**
   * `push` to list the services that take provider pushes (a health provider's `PUSH` account, for
   * {@link ImportApiMethods.pushFhir}); default `pull`.
   */
  sourceType?: "pull" | "push";
}

/** The client that {@link createClient} makes. */
export interface EdgeClient extends ImportApiMethods, ResumableMethods, UploadMethods {
  /** The underlying `hc` client, typed from the Worker's routes. */
  readonly api: ReturnType<typeof hc<AppType>>;
  /** Whether the user is signed in and can upload. */
  session(): Promise<SessionInfo>;
  /**
   * The URL to navigate to for signing in (a full-page navigation, not a fetch).
   *
   * @param returnTo - Where to come back to: a path on the Worker or a URL on an allowed app origin.
   * @param options - `sourceType`.
   */
  signInUrl(returnTo?: string, options?: SignInOptions): string;
  /**
   * Signs out: the Worker forgets the user's tokens.
   *
   * @returns What signing out did, and what it did not revoke at digi.me (the authorization, the
   *   tokens digi.me issued, the files written): `POST /auth/logout`'s answer.
   */
  signOut(): Promise<LogoutResult>;
}

/**
 * A client for the edge Worker at `baseUrl`.
 *
 * @param baseUrl - The Worker's origin (e.g. `https://edge.example`), or `""`/`/` when the app is
 *   served by the Worker itself.
 * @param options - A custom `fetch`.
 */
export function createClient(baseUrl: string, options: EdgeClientOptions = {}): EdgeClient {
  const base = baseUrl.replace(/\/+$/, "");
  const fetchFn = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const api = hc<AppType>(base || "/", { fetch: fetchFn, init: INCLUDE });

  const session = async () => parse<SessionInfo>(await api.api.session.$get());

  return {
    api,
    session,
    ...importApiMethods(base, fetchFn),
    ...resumableMethods(base, fetchFn, session),
    ...uploadMethods(base, fetchFn, Boolean(options.fetch), session),
    signInUrl(returnTo, signIn = {}) {
      const query = new URLSearchParams();
      if (returnTo !== undefined) query.set("returnTo", returnTo);
      if (signIn.sourceType) query.set("sourceType", signIn.sourceType);
      const search = query.toString();
      return `${base}/auth/start${search ? `?${search}` : ""}`;
    },
    async signOut() {
      return parse<LogoutResult>(await api.auth.logout.$post());
    },
  };
}
