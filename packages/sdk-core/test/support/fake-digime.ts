/**
 * A small stand-in for digi.me, for sdk-core's own tests: node:http on 127.0.0.1 and node:crypto
 * only, so that it checks our requests with an implementation independent of ours. It verifies
 * request JWTs (PS512, salt 64), unwraps envelope keys (RSA-OAEP SHA-1), decrypts metadata and
 * files (AES-256-CBC), signs its responses (PS512 with jku and kid) and can be scripted to respond with
 * pending, 401 InvalidToken, 429, 5xx, error bodies, delays or a dropped connection.
 * (The full emulator lives in packages/emulator; this one only serves these tests.)
 */
import {
  constants,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  privateDecrypt,
  randomBytes,
  sign,
  verify,
} from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import vectors from "@digime-edge/fixtures/official-v8.json" with { type: "json" };
import { CLAIMS } from "./claims.ts";

/** The official SDK's vectors: keys that are public test fixtures. */
export { vectors };

export const APPLICATION_ID = "app-1";
export const CONTRACT_ID = "contract-1";
export const CONTRACT_KEY = vectors.keys.contract.privatePkcs1;
export const POSTBOX_PUBLIC_KEY = vectors.keys.postbox.publicPkcs1;
export const REDIRECT_URI = "https://app.example/return";
/** The postbox's private key, which opens what is sealed to {@link POSTBOX_PUBLIC_KEY}. */
const POSTBOX_PRIVATE_KEY = createPrivateKey(vectors.keys.postbox.privatePkcs1);
export const contractDetails = {
  contractId: CONTRACT_ID,
  privateKey: CONTRACT_KEY,
  redirectUri: REDIRECT_URI,
};

export type Route = "authorize" | "token" | "write" | "jwks" | "import" | "fhir" | "accounts" | "deleteUser";

/** A scripted answer, used once, in order, before the route's normal behaviour. */
export type Scripted =
  | "pending"
  | "invalid-token"
  | "drop"
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { delayMs: number }
  | { raw: (req: IncomingMessage, res: ServerResponse) => void };

/** A file imported through `permission-access/import`, its descriptor verified with node:crypto. */
export interface ImportedFile {
  descriptor: unknown;
  data: Buffer;
  accessToken: string;
  contentType: string | undefined;
}

/** A FHIR resource pushed to a provider account. */
export interface PushedResource {
  accountId: string;
  version: string;
  resource: Record<string, unknown>;
  accessToken: string;
}

/** The accounts the fake returns by default: one PUSH account of a health provider. */
export const PUSH_ACCOUNT = {
  id: "acc-push-1",
  reference: "acct-ref-1",
  type: "PUSH",
  createdDate: 1764415200000,
  serviceGroupId: 4,
  serviceGroupName: "Health",
  serviceTypeId: 9,
  serviceTypeName: "Hospital",
  serviceTypeReference: "hospital",
  sourceId: 7,
  updatedDate: 1764415200000,
};

/** What the server saw of one request. */
export interface SeenRequest {
  route: Route;
  path: string;
  headers: IncomingMessage["headers"];
  claims: Record<string, unknown> | undefined;
  jwtHeader: Record<string, unknown> | undefined;
  bodyLength: number;
  body: Buffer;
}

/** A file the server decrypted. */
export interface StoredFile {
  postboxId: string;
  fileName: string;
  partContentType: string;
  descriptor: unknown;
  data: Buffer;
  iv: string;
  accessToken: string;
}

export interface FakeDigimeOptions {
  /** Key set entries as `pem` (default) or JWK `kty`/`n`/`e`. */
  keySetForm?: "pem" | "jwk";
  /** The jku written into answer tokens; default this server's key set URL. */
  jku?: string;
  /** The key that signs answer tokens; default the vectors' digi.me key. */
  signingKey?: KeyObject;
  /** The kid written into answer tokens. */
  kid?: string;
  /** What a write with an expired access token gets. */
  expiredAnswer?: "pending" | "invalid-token";
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

export class FakeDigime {
  readonly contractPublic = createPublicKey(vectors.keys.contract.publicSpki);
  readonly postboxPrivate = POSTBOX_PRIVATE_KEY;
  digimePrivate: KeyObject = createPrivateKey(vectors.keys.digime.privatePkcs1);
  kid = "digime-key-1";
  keySetForm: "pem" | "jwk" = "pem";
  jku: string | undefined;
  expiredAnswer: "pending" | "invalid-token" = "pending";
  /** Extra keys served in the key set. */
  extraKeys: Record<string, unknown>[] = [];

  readonly requests: SeenRequest[] = [];
  readonly files: StoredFile[] = [];
  readonly imports: ImportedFile[] = [];
  readonly resources: PushedResource[] = [];
  /** What `permission-access/accounts` returns. */
  accounts: unknown = [PUSH_ACCOUNT];
  /** Members the token answer adds to its payload (e.g. `consentid`). */
  tokenExtras: Record<string, unknown> = { sub: "user-1" };
  readonly nonces = new Set<string>();
  readonly repeatedNonces: string[] = [];
  jwksFetches = 0;

  private server: Server | undefined;
  private scripts = new Map<Route, Scripted[]>();
  private accessTokens = new Map<string, { expired: boolean }>();
  private refreshTokens = new Set<string>();
  private challenges = new Map<string, string>(); // preauthorization code -> code_challenge
  private codes = new Map<string, string>(); // authorization code -> code_challenge
  origin = "";

  /** API root, as `baseUrl`. */
  get baseUrl(): string {
    return `${this.origin}/v1.7/`;
  }

  get keySetUrl(): string {
    return `${this.origin}/v1.7/jwks/oauth`;
  }

  /** A fake not yet listening ({@link FakeDigime.listen}); {@link FakeDigime.start} does both. */
  constructor(options: FakeDigimeOptions = {}) {
    if (options.keySetForm) this.keySetForm = options.keySetForm;
    if (options.signingKey) this.digimePrivate = options.signingKey;
    if (options.kid) this.kid = options.kid;
    if (options.expiredAnswer) this.expiredAnswer = options.expiredAnswer;
    this.jku = options.jku;
  }

  /** A fake listening on 127.0.0.1 (a free port). */
  static async start(options: FakeDigimeOptions = {}): Promise<FakeDigime> {
    const fake = new FakeDigime(options);
    await fake.listen();
    return fake;
  }

  /** Starts listening on 127.0.0.1 (a free port); `baseUrl` is known from then on. */
  async listen(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        if (!res.headersSent) this.json(res, 500, { error: { code: "FakeCrashed", message: String(error) } });
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Stops listening (nothing to do when it never listened). */
  close(): Promise<void> {
    const { server } = this;
    if (!server) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  /** Queues answers for a route, used before its normal behaviour. */
  script(route: Route, ...answers: Scripted[]): void {
    this.scripts.set(route, [...(this.scripts.get(route) ?? []), ...answers]);
  }

  /** A fresh, valid token pair, as if the user had authorized. */
  issueTokens(): {
    accessToken: { value: string; expiry: number };
    refreshToken: { value: string; expiry: number };
  } {
    const access = `at-${randomBytes(12).toString("hex")}`;
    const refresh = `rt-${randomBytes(12).toString("hex")}`;
    this.accessTokens.set(access, { expired: false });
    this.refreshTokens.add(refresh);
    const now = Date.now();
    return {
      accessToken: { value: access, expiry: now + 3600_000 },
      refreshToken: { value: refresh, expiry: now + 30 * 86400_000 },
    };
  }

  /** Makes the server treat this access token as expired. */
  expire(accessToken: string): void {
    this.accessTokens.set(accessToken, { expired: true });
  }

  /** The user consents: returns the authorization code digi.me would send to the redirect URI. */
  consent(preauthorizationCode: string): string {
    const challenge = this.challenges.get(preauthorizationCode);
    if (!challenge) throw new Error("unknown preauthorization code");
    const code = `code-${randomBytes(8).toString("hex")}`;
    this.codes.set(code, challenge);
    return code;
  }

  /** Signs an answer token as digi.me does (PS512, jku, kid). */
  signToken(
    payload: Record<string, unknown>,
    header: Record<string, unknown> = {},
    key = this.digimePrivate,
  ): string {
    const head = b64url(
      JSON.stringify({ alg: "PS512", typ: "JWT", kid: this.kid, jku: this.jku ?? this.keySetUrl, ...header }),
    );
    const input = `${head}.${b64url(JSON.stringify(payload))}`;
    const signature = sign("sha512", Buffer.from(input), {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 64,
    });
    return `${input}.${b64url(signature)}`;
  }

  keySet(): { keys: Record<string, unknown>[] } {
    const publicKey = createPublicKey(this.digimePrivate);
    const entry =
      this.keySetForm === "pem"
        ? { kid: this.kid, pem: publicKey.export({ type: "pkcs1", format: "pem" }) }
        : { kid: this.kid, ...(publicKey.export({ format: "jwk" }) as Record<string, unknown>) };
    return { keys: [...this.extraKeys, entry] };
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  }

  private error(res: ServerResponse, status: number, code: string, message: string) {
    this.json(res, status, { error: { code, message, reference: `ref-${randomBytes(4).toString("hex")}` } });
  }

  /** Verifies a request JWT with node:crypto; returns its header and claims, or why it fails. */
  private verifyRequestJwt(
    req: IncomingMessage,
  ): { header: Record<string, unknown>; claims: Record<string, unknown> } | string {
    const auth = req.headers.authorization ?? "";
    const match = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(auth);
    if (!match) return "no bearer JWT";
    const [, head = "", body = "", sig = ""] = match;
    const header = JSON.parse(Buffer.from(head, "base64url").toString("utf8"));
    if (JSON.stringify(header) !== '{"alg":"PS512","typ":"JWT"}') return "bad JWT header";
    if (!this.signedByContract(head, body, sig)) return "bad JWT signature";
    const claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    if (typeof claims.nonce !== "string" || !/^[A-Za-z0-9]{32}$/.test(claims.nonce)) return "bad nonce";
    if (typeof claims.timestamp !== "number" || Math.abs(Date.now() - claims.timestamp) > 60_000)
      return "bad timestamp";
    if (this.nonces.has(claims.nonce)) this.repeatedNonces.push(claims.nonce);
    this.nonces.add(claims.nonce);
    if (claims.client_id !== `${APPLICATION_ID}_${CONTRACT_ID}`) return "bad client_id";
    return { header, claims };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.origin);
    const route = routeOf(req.method ?? "", url.pathname);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (!route) return this.error(res, 404, "NotFound", "no such route");
    const verified = route === "jwks" ? undefined : this.verifyRequestJwt(req);
    this.requests.push({
      route,
      path: url.pathname,
      headers: req.headers,
      claims: typeof verified === "object" ? verified.claims : undefined,
      jwtHeader: typeof verified === "object" ? verified.header : undefined,
      bodyLength: body.length,
      body,
    });
    const scripted = this.scripts.get(route)?.shift();
    if (scripted !== undefined) {
      if (scripted === "drop") {
        req.socket.destroy();
        return;
      }
      if (scripted === "pending")
        return this.json(res, 200, { status: "pending", expires: Date.now() + 60_000 });
      if (scripted === "invalid-token") return this.error(res, 401, "InvalidToken", "The token is invalid");
      if ("raw" in scripted) return scripted.raw(req, res);
      if ("delayMs" in scripted) await new Promise((r) => setTimeout(r, scripted.delayMs));
      else return this.json(res, scripted.status, scripted.body ?? {}, scripted.headers);
    }
    if (route === "jwks") {
      this.jwksFetches++;
      return this.json(res, 200, this.keySet());
    }
    if (verified === undefined) return;
    if (typeof verified === "string") return this.error(res, 401, "InvalidJWT", verified);
    const { claims } = verified;
    if (route === "authorize") return this.authorize(res, claims, body);
    if (route === "token") return this.token(res, claims);
    if (route !== "write") return this.withToken(route, req, res, claims, body, url.pathname);
    return this.write(req, res, claims, body, decodeURIComponent(url.pathname.split("/").pop() ?? ""));
  }

  private authorize(res: ServerResponse, claims: Record<string, unknown>, body: Buffer) {
    const expected = CLAIMS.authorize;
    const keys = Object.keys(claims).filter((k) => k !== "state" && k !== "access_token");
    if (JSON.stringify(keys.sort()) !== JSON.stringify(expected))
      return this.error(res, 400, "InvalidRequest", "claims");
    if (
      claims.code_challenge_method !== "S256" ||
      claims.response_mode !== "query" ||
      claims.response_type !== "code"
    ) {
      return this.error(res, 400, "InvalidRequest", "claim values");
    }
    if (claims.redirect_uri !== REDIRECT_URI)
      return this.error(res, 400, "InvalidRedirectUri", "The redirect_uri is invalid");
    JSON.parse(body.toString("utf8"));
    const code = `pre-${randomBytes(8).toString("hex")}`;
    this.challenges.set(code, String(claims.code_challenge));
    this.json(res, 200, {
      token: this.signToken({ preauthorization_code: code }),
      session: { expiry: Date.now() + 600_000, key: `session-${randomBytes(4).toString("hex")}` },
    });
  }

  private tokenAnswer(res: ServerResponse) {
    const pair = this.issueTokens();
    this.json(res, 200, {
      token: this.signToken({
        access_token: { value: pair.accessToken.value, expires_on: pair.accessToken.expiry },
        refresh_token: { value: pair.refreshToken.value, expires_on: pair.refreshToken.expiry },
        ...this.tokenExtras,
      }),
    });
  }

  private token(res: ServerResponse, claims: Record<string, unknown>) {
    const keys = Object.keys(claims).sort().join(",");
    if (claims.grant_type === "authorization_code") {
      if (keys !== "client_id,code,code_verifier,grant_type,nonce,timestamp")
        return this.error(res, 400, "InvalidRequest", "claims");
      const challenge = this.codes.get(String(claims.code));
      const computed = createHash("sha256").update(String(claims.code_verifier)).digest("base64url");
      if (!challenge || challenge !== computed)
        return this.error(res, 400, "InvalidGrant", "bad code or verifier");
      this.codes.delete(String(claims.code));
      return this.tokenAnswer(res);
    }
    if (claims.grant_type === "refresh_token") {
      if (keys !== "client_id,grant_type,nonce,refresh_token,timestamp")
        return this.error(res, 400, "InvalidRequest", "claims");
      // Single-use, as digi.me's may be.
      if (!this.refreshTokens.delete(String(claims.refresh_token)))
        return this.error(res, 401, "InvalidToken", "The token is invalid");
      return this.tokenAnswer(res);
    }
    return this.error(res, 400, "InvalidRequest", "grant_type");
  }

  /** The calls of the import API: a token that is unknown or expired gets `401 InvalidToken`. */
  private withToken(
    route: Route,
    req: IncomingMessage,
    res: ServerResponse,
    claims: Record<string, unknown>,
    body: Buffer,
    path: string,
  ) {
    if (Object.keys(claims).sort().join(",") !== "access_token,client_id,nonce,timestamp")
      return this.error(res, 406, "ValidationErrors", "claims");
    const accessToken = String(claims.access_token);
    const token = this.accessTokens.get(accessToken);
    if (!token || token.expired) return this.error(res, 401, "InvalidToken", "The token is invalid");
    if (route === "accounts") return this.json(res, 200, this.accounts);
    if (route === "deleteUser") {
      this.accessTokens.clear();
      this.refreshTokens.clear();
      res.writeHead(204).end();
      return;
    }
    if (route === "fhir") {
      const version = path.split("/").pop() ?? "";
      const accountId = String(req.headers.accountid ?? "");
      if (version !== "stu3" && version !== "3.0.2") return this.error(res, 404, "NotFound", "version");
      if (!String(req.headers["content-type"]).startsWith("application/json"))
        return this.error(res, 415, "InvalidRequest", "content-type");
      const ids = Array.isArray(this.accounts)
        ? this.accounts.filter((a) => a?.type === "PUSH").map((a) => a.id)
        : [];
      if (!ids.includes(accountId)) return this.error(res, 404, "AccountNotFound", "no such PUSH account");
      const resource = JSON.parse(body.toString("utf8"));
      if (typeof resource?.resourceType !== "string")
        return this.error(res, 400, "InvalidRequest", "no resourceType");
      this.resources.push({ accountId, version, resource, accessToken });
      return this.json(res, 200, {});
    }
    const descriptor = this.verifyFileDescriptor(String(req.headers.filedescriptor ?? ""));
    if (typeof descriptor === "string") return this.error(res, 406, "ValidationErrors", descriptor);
    const contentType = req.headers["content-type"];
    if (contentType !== undefined && contentType !== "application/octet-stream")
      return this.error(res, 415, "InvalidRequest", "content-type");
    this.imports.push({ descriptor, data: body, accessToken, contentType });
    res.writeHead(201).end();
  }

  /** Whether `sig` is the contract key's PS512 signature of `head.payload`. */
  private signedByContract(head: string, payload: string, sig: string): boolean {
    return verify(
      "sha512",
      Buffer.from(`${head}.${payload}`),
      { key: this.contractPublic, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 },
      Buffer.from(sig, "base64url"),
    );
  }

  /** The `FileDescriptor` header: PS512 by the contract key, payload exactly `{ metadata }`. */
  private verifyFileDescriptor(jwt: string): unknown {
    const [head = "", payload = "", sig = "", extra] = jwt.split(".");
    if (extra !== undefined || !sig) return "FileDescriptor is not a JWT";
    if (Buffer.from(head, "base64url").toString("utf8") !== '{"alg":"PS512","typ":"JWT"}')
      return "bad FileDescriptor header";
    if (!this.signedByContract(head, payload, sig)) return "bad FileDescriptor signature";
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    if (Object.keys(claims).join(",") !== "metadata") return "FileDescriptor payload is not { metadata }";
    return claims.metadata;
  }

  private write(
    req: IncomingMessage,
    res: ServerResponse,
    claims: Record<string, unknown>,
    body: Buffer,
    postboxId: string,
  ) {
    const keys = Object.keys(claims).sort().join(",");
    if (keys !== "access_token,client_id,iv,metadata,nonce,symmetrical_key,timestamp") {
      return this.error(res, 400, "InvalidRequest", "claims");
    }
    const token = this.accessTokens.get(String(claims.access_token));
    if (!token) return this.error(res, 401, "InvalidToken", "The token is invalid");
    if (token.expired) {
      if (this.expiredAnswer === "pending")
        return this.json(res, 200, { status: "pending", expires: Date.now() + 60_000 });
      return this.error(res, 401, "InvalidToken", "The token is invalid");
    }
    const part = parseMultipart(String(req.headers["content-type"]), body);
    const { descriptor, data } = openSealed(
      {
        iv: String(claims.iv),
        symmetricalKey: String(claims.symmetrical_key),
        metadata: String(claims.metadata),
      },
      part.data,
    );
    this.files.push({
      postboxId,
      fileName: part.fileName,
      partContentType: part.contentType,
      descriptor,
      data,
      iv: String(claims.iv),
      accessToken: String(claims.access_token),
    });
    this.json(res, 200, { status: "delivered", expires: Date.now() + 60_000 });
  }
}

function routeOf(method: string, path: string): Route | undefined {
  if (method === "POST" && path === "/v1.7/permission-access/import") return "import";
  if (method === "POST" && /^\/v1\.7\/permission-access\/import\/h:accountId\/fhir\/[^/]+$/.test(path))
    return "fhir";
  if (method === "GET" && path === "/v1.7/permission-access/accounts") return "accounts";
  if (method === "DELETE" && path === "/v1.7/user") return "deleteUser";
  if (method === "GET" && path === "/v1.7/jwks/oauth") return "jwks";
  if (method === "POST" && path === "/v1.7/oauth/authorize") return "authorize";
  if (method === "POST" && path === "/v1.7/oauth/token") return "token";
  if (method === "POST" && path.startsWith("/v1.7/permission-access/postbox/")) return "write";
  return undefined;
}

/** Parses a multipart/form-data body that must hold exactly one part, `file`. */
export function parseMultipart(
  contentType: string,
  body: Buffer,
): { fileName: string; contentType: string; data: Buffer } {
  const boundary = /boundary=(.+)$/.exec(contentType)?.[1];
  if (!contentType.startsWith("multipart/form-data;") || !boundary) throw new Error("not multipart");
  const open = Buffer.from(`--${boundary}\r\n`);
  const close = Buffer.from(`\r\n--${boundary}--\r\n`);
  if (!body.subarray(0, open.length).equals(open)) throw new Error("bad opening boundary");
  if (!body.subarray(body.length - close.length).equals(close)) throw new Error("bad closing boundary");
  const headerEnd = body.indexOf("\r\n\r\n", open.length);
  const headers = body.subarray(open.length, headerEnd).toString("utf8").split("\r\n");
  const disposition = headers.find((h) => h.toLowerCase().startsWith("content-disposition:")) ?? "";
  const name = /; name="([^"]*)"/.exec(disposition)?.[1];
  const fileName = /; filename="([^"]*)"/.exec(disposition)?.[1];
  if (name !== "file" || fileName === undefined) throw new Error("no file part");
  const type =
    headers
      .find((h) => h.toLowerCase().startsWith("content-type:"))
      ?.split(":")[1]
      ?.trim() ?? "";
  const data = body.subarray(headerEnd + 4, body.length - close.length);
  if (data.includes(Buffer.from(`--${boundary}`))) throw new Error("more than one part");
  return { fileName, contentType: type, data };
}

/** Decrypts a sealed file with node:crypto (for seal tests, and the fake's writes). */
export function openSealed(sealed: { iv: string; symmetricalKey: string; metadata: string }, body: Buffer) {
  const key = privateDecrypt(
    { key: POSTBOX_PRIVATE_KEY, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" },
    Buffer.from(sealed.symmetricalKey, "base64"),
  );
  const iv = Buffer.from(sealed.iv, "hex");
  const decrypt = (data: Buffer) => {
    const decipher = createDecipheriv("aes-256-cbc", key, iv);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  };
  return {
    descriptor: JSON.parse(decrypt(Buffer.from(sealed.metadata, "base64")).toString("utf8")),
    data: decrypt(body),
  };
}
