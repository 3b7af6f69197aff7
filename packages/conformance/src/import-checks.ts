/**
 * Helpers shared by the import API's cases against a fake digi.me: the fake itself, and checks of
 * a request's Bearer JWT and of a library push as digi.me would make them, with WebCrypto.
 */
import official16 from "@digime-edge/fixtures/official-v16-requests.json" with { type: "json" };
import type * as sdk from "@digime-edge/sdk-core";
import { patternBytes } from "./data.ts";
import { assert, bytesEqual, deepEqual, equal } from "./harness.ts";
import {
  bearerOf,
  fromBase64Url,
  fromUtf8,
  jsonResponse,
  type SeenRequest,
  splitJwt,
  webCryptoVerifyPs512,
} from "./util.ts";
import {
  IMPORT_CONTRACT as CONTRACT,
  DESCRIPTOR,
  keys,
  tokenServer,
  VECTOR_BASE,
  VECTOR_TOKEN,
  vectors,
} from "./vectors.ts";

/** The library push's URL on the fake digi.me. */
export const IMPORT_URL = `${VECTOR_BASE}permission-access/import`;
/** An account as the stand-in server returned it to the official SDK 16 (its recorded requests). */
export const ACCOUNT = official16.answers.accounts[0] as (typeof official16.answers.accounts)[number];
/** A token whose access token digi.me refuses, so the SDK refreshes it. */
export const STALE = {
  accessToken: { value: "stale-access", expiry: 1 },
  refreshToken: { value: "stale-refresh", expiry: 2 },
};
/** The claims of the import API's Bearer JWT. */
export const BEARER_CLAIMS = ["access_token", "client_id", "nonce", "timestamp"];

/**
 * Checks a request's `Authorization` as digi.me would, with WebCrypto: `Bearer`, PS512 (salt 64)
 * with the contract's key, exactly the import API's claims, this `access_token`.
 */
export async function checkBearer(req: SeenRequest, accessToken: string) {
  assert((req.headers.get("authorization") ?? "").startsWith("Bearer "), "Authorization: Bearer");
  const jwt = bearerOf(req);
  const { headerText, payload } = splitJwt(jwt);
  equal(headerText, '{"alg":"PS512","typ":"JWT"}', "JWT header");
  assert(await webCryptoVerifyPs512(jwt, keys.contract.publicSpki), "JWT verifies (PS512, salt 64)");
  deepEqual(Object.keys(payload).sort(), BEARER_CLAIMS, "JWT claims");
  equal(payload.client_id, "app-vector_contract-vector", "client_id");
  equal(payload.access_token, accessToken, "access_token");
  assert(/^[A-Za-z0-9]{32}$/.test(String(payload.nonce)), "nonce: 32 of [A-Za-z0-9]");
  assert(
    typeof payload.timestamp === "number" && Math.abs(Date.now() - payload.timestamp) < 60_000,
    "timestamp",
  );
  return payload;
}

/** Checks a library push's request: URL, octet-stream, the FileDescriptor JWT, the bytes as they are. */
export async function checkLibraryPush(
  req: SeenRequest,
  plain: Uint8Array,
  descriptor: unknown,
  token: string,
) {
  equal(req.method, "POST", "method");
  equal(req.url, IMPORT_URL, "URL");
  equal(req.headers.get("content-type"), "application/octet-stream", "Content-Type");
  await checkBearer(req, token);
  const fd = req.headers.get("filedescriptor") ?? "";
  equal(splitJwt(fd).headerText, '{"alg":"PS512","typ":"JWT"}', "FileDescriptor header");
  assert(await webCryptoVerifyPs512(fd, keys.contract.publicSpki), "FileDescriptor verifies (PS512)");
  const payloadText = fromUtf8(fromBase64Url(fd.split(".")[1] ?? ""));
  deepEqual(
    JSON.parse(payloadText),
    { metadata: descriptor },
    "FileDescriptor payload: exactly { metadata }",
  );
  bytesEqual(req.body, plain, "the body is the file's bytes as they are");
}

/** A fake digi.me: tokens and key set from the vectors, everything else from `answer`. */
export const fakeDigime = (answer: (req: SeenRequest) => Response | Promise<Response>) =>
  tokenServer(vectors.responseToken.token, vectors.responseToken.keySet, answer);
/** digi.me's answer to a library push. */
export const created = () => new Response(null, { status: 201 });
/** digi.me's refusal of an expired access token. */
export const invalidToken = () => jsonResponse({ error: { code: "InvalidToken", message: "expired" } }, 401);
/** The requests other than the token refresh and the key set. */
export const apiRequests = (seen: SeenRequest[]) =>
  seen.filter((r) => !r.url.endsWith("oauth/token") && !r.url.endsWith("jwks/oauth"));

/** The file the library pushes send. */
export const PLAIN = patternBytes(30, 10_001);

/** A library push of `fileData` with the import contract and the vectors' token; `over` replaces members. */
export const library = (fileData: sdk.FileData, over: Record<string, unknown> = {}) =>
  ({
    type: "library",
    contractDetails: CONTRACT,
    userAccessToken: VECTOR_TOKEN,
    data: { fileData, fileName: "private-name.bin", fileDescriptor: DESCRIPTOR },
    ...over,
  }) as sdk.PushLibraryOptions;
