/**
 * What the suite's files share: the official SDK's vectors (from `@digime-edge/fixtures`), the
 * contract and token the fake-digi.me cases use, the fake digi.me that returns tokens and the key
 * set, and the local server's `Target`.
 */

import vectors from "@digime-edge/fixtures/official-v8.json" with { type: "json" };
import * as sdk from "@digime-edge/sdk-core";
import { assert } from "./harness.ts";
import { fakeFetch, jsonResponse, type SeenRequest } from "./util.ts";

/** The official SDK's known-answer vectors (`official-v8.json`). */
export { vectors };

/** Where the local digi.me server is, as the host passes it in (plain data, serializable). */
export interface Target {
  /** API root, ending with `/`, e.g. `http://127.0.0.1:1234/v1.7/`. */
  baseUrl: string;
  /** Onboarding root, ending with `/`. */
  onboardUrl: string;
  /** The contracts' redirect URI registered at the server (the import contract's `callback`). */
  redirectUri: string;
  applicationId: string;
  /** The postbox contract (official SDK up to 8). */
  contractId: string;
  /** The import contract (official SDK 10 on: `pushData`, accounts, user deletion). */
  importContractId: string;
  /** `POST` with JSON `{}` here expires every access token (the next write gets `pending`). */
  expireTokensUrl: string;
}

/** The vectors' keys: the contract's, a postbox's and digi.me's (public test fixtures). */
export const keys = vectors.keys;
/** The fake digi.me's API root (never reached: a fake `fetch` responds). */
export const VECTOR_BASE = "https://api.digi.me/v1.7/";
/** The fake digi.me's postbox contract (with a `redirectUri`). */
export const VECTOR_CONTRACT = {
  contractId: "contract-vector",
  privateKey: keys.contract.privatePkcs1,
  redirectUri: "https://app.example/cb",
};
/** The fake digi.me's import contract: no `redirectUri` (official SDK 10 on). */
export const IMPORT_CONTRACT = {
  contractId: VECTOR_CONTRACT.contractId,
  privateKey: keys.contract.privatePkcs8,
};
/** The vectors' token, as the SDK takes it. */
export const VECTOR_TOKEN = {
  accessToken: { value: "access-token-vector", expiry: 1_764_418_800_000 },
  refreshToken: { value: "refresh-token-vector", expiry: 1_767_010_800_000 },
};
/** The vectors' token answer as sdk-core returns it: its `sub` kept as `user.id` (import spec). */
export const VECTOR_ANSWER_TOKEN = { ...VECTOR_TOKEN, user: { id: vectors.responseToken.payload.sub } };
/** The vectors' file descriptor. */
export const DESCRIPTOR = vectors.envelope.fileDescriptor;

/** A client of the fake digi.me at `VECTOR_BASE`. */
export const vectorClient = (fetchFn: typeof fetch, extra: Partial<sdk.SDKConfig> = {}) =>
  sdk.init({ applicationId: "app-vector", baseUrl: VECTOR_BASE, fetch: fetchFn, ...extra });

/**
 * A fake digi.me that serves `keySet` at the jku and responds to `oauth/token` with `token` (a
 * response token), and anything else with `other` (default: 404).
 */
export function tokenServer(
  token: string,
  keySet: unknown,
  other: (req: SeenRequest) => Response | Promise<Response> = (req) =>
    jsonResponse({ error: { code: "NotFound", message: req.url } }, 404),
) {
  return fakeFetch((req) => {
    if (req.url === `${VECTOR_BASE}oauth/token`) return jsonResponse({ token });
    if (req.url === `${VECTOR_BASE}jwks/oauth`) return jsonResponse(keySet);
    return other(req);
  });
}

/** Expires every access token at the local server (the next write gets `pending`, an import 401). */
export async function expireTokens(target: Target) {
  const res = await fetch(target.expireTokensUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  assert(res.ok, `expiring tokens: HTTP ${res.status}`);
  await res.body?.cancel();
}
