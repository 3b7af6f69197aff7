/**
 * Helpers shared by the write cases against a fake digi.me: a write captured by a fake fetch, its
 * request checked with WebCrypto as digi.me would, the token exchange of the vectors.
 */
import * as sdk from "@digime-edge/sdk-core";
import { patternBytes } from "./data.ts";
import { assert, bytesEqual, deepEqual, equal } from "./harness.ts";
import {
  type Bytes,
  fakeFetch,
  filePart,
  fromBase64,
  fromUtf8,
  jsonResponse,
  openEnvelope,
  type SeenRequest,
  splitJwt,
  webCryptoVerifyPs512,
} from "./util.ts";
import { DESCRIPTOR, keys, VECTOR_BASE, VECTOR_CONTRACT, VECTOR_TOKEN, vectors } from "./vectors.ts";

// The public API is used through the namespace with its published types (so the suite also checks
// sdk-core's .d.ts). Helpers that may not be exported are looked up by name at run time: a missing
// one fails the cases that need it, naming it, instead of the whole suite failing to load.
// biome-ignore lint/suspicious/noExplicitAny: the surface is checked by the cases themselves
type Api = Record<string, any>;
/** sdk-core's root export, as an untyped record for look-ups by name. */
export const api = sdk as unknown as Api;

/** The export `name` of sdk-core; throws, naming it, when it is missing. */
export function need(name: string) {
  const value = api[name];
  if (value === undefined) throw new Error(`@digime-edge/sdk-core does not export \`${name}\``);
  return value;
}

const REQUEST_CLAIMS = Object.keys(vectors.writeRequestJwt.payload).sort();

/** A write whose request is captured by a fake fetch that returns `delivered`. */
export async function capturedWrite(opts: {
  privateKey: string;
  publicKey: string;
  fileData: sdk.FileData;
  fileName?: string;
}): Promise<{ result: sdk.WriteResult; request: SeenRequest }> {
  const fake = fakeFetch(() => jsonResponse({ status: "delivered", expires: 1 }));
  const client = sdk.init({ applicationId: "app-vector", baseUrl: VECTOR_BASE, fetch: fake.fetch });
  const result = await client.write({
    contractDetails: { ...VECTOR_CONTRACT, privateKey: opts.privateKey },
    userAccessToken: VECTOR_TOKEN,
    postboxId: "postbox-vector",
    publicKey: opts.publicKey,
    data: { fileData: opts.fileData, fileName: opts.fileName ?? "vector.bin", fileDescriptor: DESCRIPTOR },
  });
  equal(fake.seen.length, 1, "requests sent");
  const request = fake.seen[0] as SeenRequest;
  equal(request.method, "POST", "method");
  equal(request.url, `${VECTOR_BASE}permission-access/postbox/postbox-vector`, "write URL");
  return { result, request };
}

/**
 * Checks a captured write as digi.me would, with WebCrypto used directly: the JWT verifies with the
 * contract's public key, its claims are exactly the wire format's, the key unwraps with the postbox's
 * private key, and metadata and file decrypt to the descriptor and `plain`.
 */
export async function checkWriteRequest(request: SeenRequest, plain: Bytes, fileName = "vector.bin") {
  const auth = request.headers.get("authorization") ?? "";
  assert(auth.startsWith("Bearer "), "Authorization: Bearer");
  const jwt = auth.slice(7);
  const { headerText, payload } = splitJwt(jwt);
  equal(headerText, '{"alg":"PS512","typ":"JWT"}', "JWT header");
  assert(await webCryptoVerifyPs512(jwt, keys.contract.publicSpki), "JWT verifies (PS512, salt 64)");
  deepEqual(Object.keys(payload).sort(), REQUEST_CLAIMS, "JWT claims");
  equal(payload.client_id, "app-vector_contract-vector", "client_id");
  equal(payload.access_token, "access-token-vector", "access_token");
  assert(/^[A-Za-z0-9]{32}$/.test(String(payload.nonce)), "nonce: 32 of [A-Za-z0-9]");
  assert(
    typeof payload.timestamp === "number" && Math.abs(Date.now() - payload.timestamp) < 60_000,
    "timestamp",
  );
  assert(/^[0-9a-f]{32}$/.test(String(payload.iv)), "iv: 32 lowercase hex");
  const env = await openEnvelope(
    String(payload.symmetrical_key),
    String(payload.iv),
    keys.postbox.privatePkcs8,
  );
  equal(env.rawKey.length, 32, "AES key size");
  const meta = await env.decrypt(fromBase64(String(payload.metadata)));
  deepEqual(JSON.parse(fromUtf8(meta)), DESCRIPTOR, "metadata");
  assert((request.headers.get("content-type") ?? "").startsWith("multipart/form-data"), "multipart body");
  const file = await filePart(request);
  equal(file.name, fileName, "filename");
  bytesEqual(await env.decrypt(file.bytes), plain, "file decrypts to the input");
}

/** `exchangeCodeForToken` of the vectors' code and verifier, against `fetchFn`. */
export function exchange(fetchFn: typeof fetch) {
  const client = sdk.init({ applicationId: "app-vector", baseUrl: VECTOR_BASE, fetch: fetchFn });
  return client.exchangeCodeForToken({
    contractDetails: VECTOR_CONTRACT,
    authorizationCode: "code-vector",
    codeVerifier: vectors.pkce.codeVerifier,
  });
}

/** The small file most fake-digi.me writes send. */
export const PLAIN_SMALL = patternBytes(10, 1_000);

/** The header of the vectors' response token, for tokens forged in the cases. */
export const RESPONSE_HEADER = splitJwt(vectors.responseToken.token).header;

/**
 * A write of `PLAIN_SMALL` with the vectors' contract, token and postbox through `fetchFn`. `over`
 * may be deliberately wrong (the input cases), so it is not typed as WriteOptions.
 */
export const vectorWrite = (fetchFn: typeof fetch, over: Record<string, unknown> = {}) =>
  sdk.init({ applicationId: "app-vector", baseUrl: VECTOR_BASE, fetch: fetchFn }).write({
    contractDetails: VECTOR_CONTRACT,
    userAccessToken: VECTOR_TOKEN,
    postboxId: "postbox-vector",
    publicKey: keys.postbox.publicPkcs1,
    data: { fileData: PLAIN_SMALL, fileName: "vector.bin", fileDescriptor: DESCRIPTOR },
    ...over,
  });
