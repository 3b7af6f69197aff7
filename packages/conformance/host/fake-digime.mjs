// A small stand-in for the digi.me API, written only with node:http and node:crypto (an
// implementation independent of sdk-core). It follows ../../../shared/docs/wire-format.md:
// authorize -> auto-approved onboarding -> code exchange -> refresh -> postbox write. Every request
// JWT is verified (PS512, salt 64), every write is unwrapped (RSA-OAEP SHA-1) and decrypted
// (AES-256-CBC), and what was decrypted is recorded for the host to compare with what was sent.
// Listens on 127.0.0.1 only. Also serves the browser page and collects results (see host.mjs).
import {
  constants,
  createDecipheriv,
  createHash,
  privateDecrypt,
  randomBytes,
  sign,
  verify,
} from "node:crypto";
import { createServer } from "node:http";
import { Readable } from "node:stream";

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 };

export const APP = {
  applicationId: "app-conformance",
  contractId: "contract-conformance",
  postboxId: "postbox-conformance",
};

const b64url = (buf) => Buffer.from(buf).toString("base64url");
const json = (v) => Buffer.from(JSON.stringify(v));

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * Starts the server. `vectors` is the parsed official-v8.json (its keys are the fixture keys).
 * Returns URLs, the list of decrypted writes (`deliveries`), hooks for the host, and `close()`.
 */
export async function startFakeDigime({ vectors }) {
  const keys = vectors.keys;
  const state = {
    preauth: new Map(), // preauthorization_code -> { challenge, state, accessToken }
    codes: new Map(), // authorization code -> { challenge }
    access: new Map(), // access token -> { expired }
    refresh: new Map(), // refresh token -> { used }
    nonces: new Set(),
    deliveries: [],
    requests: [],
    statics: new Map(),
    results: new Map(),
    waiters: new Map(),
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      const status = err instanceof HttpError ? err.status : 500;
      const code = err instanceof HttpError ? err.code : "InternalError";
      if (status === 500) console.error("[fake-digime]", err);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(
        json({ error: { code, message: err.message, reference: `ref-${randomBytes(4).toString("hex")}` } }),
      );
    });
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  const baseUrl = `${origin}/v1.7/`;
  const onboardUrl = `${origin}/apps/saas/`;
  const redirectUri = `${origin}/callback`;
  const clientId = `${APP.applicationId}_${APP.contractId}`;

  function signToken(payload) {
    const header = { alg: "PS512", typ: "JWT", kid: "digime-vector-key", jku: `${baseUrl}jwks/oauth` };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    return `${input}.${b64url(sign("sha512", Buffer.from(input), { key: keys.digime.privatePkcs8, ...PSS }))}`;
  }

  /** Verifies a request JWT with node:crypto exactly as the wire format demands; returns its payload. */
  function verifyRequest(req) {
    const auth = req.headers.authorization ?? "";
    const token = auth.startsWith("Bearer ") ? auth.slice(7) : "";
    const [h, p, s, extra] = token.split(".");
    if (!h || !p || !s || extra !== undefined) throw new HttpError(401, "InvalidToken", "no bearer JWT");
    const header = JSON.parse(Buffer.from(h, "base64url"));
    if (header.alg !== "PS512" || header.typ !== "JWT") throw new HttpError(401, "InvalidToken", "header");
    const ok = verify(
      "sha512",
      Buffer.from(`${h}.${p}`),
      { key: keys.contract.publicSpki, ...PSS },
      Buffer.from(s, "base64url"),
    );
    if (!ok)
      throw new HttpError(401, "InvalidToken", "request JWT signature (PS512, salt 64) does not verify");
    const payload = JSON.parse(Buffer.from(p, "base64url"));
    if (payload.client_id !== clientId) throw new HttpError(401, "InvalidClient", "client_id");
    if (!/^[A-Za-z0-9]{32}$/.test(payload.nonce ?? "")) throw new HttpError(400, "InvalidRequest", "nonce");
    if (state.nonces.has(payload.nonce)) throw new HttpError(400, "InvalidRequest", "nonce reused");
    state.nonces.add(payload.nonce);
    if (typeof payload.timestamp !== "number" || Math.abs(Date.now() - payload.timestamp) > 300_000) {
      throw new HttpError(400, "InvalidRequest", "timestamp");
    }
    for (const claim of ["iat", "exp"])
      if (claim in payload) throw new HttpError(400, "InvalidRequest", claim);
    return payload;
  }

  function issueTokens() {
    const access = randomBytes(24).toString("base64url");
    const refresh = randomBytes(24).toString("base64url");
    state.access.set(access, { expired: false });
    state.refresh.set(refresh, { used: false });
    const now = Date.now();
    return signToken({
      access_token: { value: access, expires_on: now + 3_600_000 },
      refresh_token: { value: refresh, expires_on: now + 30 * 86_400_000 },
      sub: "user-conformance",
      token_type: "Bearer",
    });
  }

  async function readBody(req) {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    return Buffer.concat(chunks);
  }

  const routes = {
    "GET /v1.7/jwks/oauth": () => vectors.responseToken.keySet,

    "POST /v1.7/oauth/authorize": async (req) => {
      const claims = verifyRequest(req);
      const body = JSON.parse((await readBody(req)).toString() || "{}");
      if (!body.agent?.sdk?.name) throw new HttpError(400, "SDKInvalid", "agent.sdk missing");
      const want = {
        code_challenge_method: "S256",
        redirect_uri: redirectUri,
        response_mode: "query",
        response_type: "code",
      };
      for (const [k, v] of Object.entries(want)) {
        if (claims[k] !== v)
          throw new HttpError(400, k === "redirect_uri" ? "InvalidRedirectUri" : "InvalidRequest", k);
      }
      if (!/^[A-Za-z0-9_-]{43}$/.test(claims.code_challenge ?? ""))
        throw new HttpError(400, "InvalidRequest", "code_challenge");
      const code = randomBytes(16).toString("hex");
      state.preauth.set(code, { challenge: claims.code_challenge, state: claims.state });
      return {
        token: signToken({ preauthorization_code: code }),
        session: { expiry: Date.now() + 600_000, key: randomBytes(8).toString("hex") },
      };
    },

    // Onboarding, auto-approved: straight back to the app's redirect URI with a code and the postbox.
    "GET /apps/saas/authorize": (_req, url) => {
      const pre = state.preauth.get(url.searchParams.get("code") ?? "");
      if (!pre) throw new HttpError(400, "InvalidRequest", "unknown preauthorization code");
      state.preauth.delete(url.searchParams.get("code"));
      const code = randomBytes(16).toString("hex");
      state.codes.set(code, { challenge: pre.challenge });
      const back = new URL(redirectUri);
      back.searchParams.set("success", "true");
      back.searchParams.set("code", code);
      if (pre.state !== undefined) back.searchParams.set("state", pre.state);
      back.searchParams.set("postboxId", APP.postboxId);
      back.searchParams.set("publicKey", keys.postbox.publicPkcs1);
      return { redirect: back.href };
    },

    // The app's redirect URI: echoes what digi.me sent, so a client following redirects can read it.
    "GET /callback": (_req, url) => Object.fromEntries(url.searchParams),

    "POST /v1.7/oauth/token": (req) => {
      const claims = verifyRequest(req);
      if (claims.grant_type === "authorization_code") {
        const entry = state.codes.get(claims.code);
        if (!entry) throw new HttpError(400, "InvalidAuthorizationCode", "unknown code");
        state.codes.delete(claims.code);
        const challenge = createHash("sha256")
          .update(claims.code_verifier ?? "")
          .digest("base64url");
        if (challenge !== entry.challenge) throw new HttpError(400, "InvalidCodeVerifier", "PKCE mismatch");
        return { token: issueTokens() };
      }
      if (claims.grant_type === "refresh_token") {
        const entry = state.refresh.get(claims.refresh_token);
        if (!entry || entry.used) throw new HttpError(401, "InvalidToken", "refresh token is not valid");
        entry.used = true;
        return { token: issueTokens() };
      }
      throw new HttpError(400, "InvalidGrant", "grant_type");
    },

    "POST /v1.7/permission-access/postbox/": async (req, url) => {
      const postboxId = decodeURIComponent(url.pathname.slice("/v1.7/permission-access/postbox/".length));
      const claims = verifyRequest(req);
      const access = state.access.get(claims.access_token);
      if (!access) throw new HttpError(401, "InvalidToken", "access token is not valid");
      if (postboxId !== APP.postboxId) throw new HttpError(404, "PostboxNotFound", "postbox");
      const transfer = req.headers["transfer-encoding"] === "chunked" ? "chunked" : "content-length";
      const form = await new Response(Readable.toWeb(req), {
        headers: { "content-type": req.headers["content-type"] ?? "" },
      }).formData();
      if (access.expired) return { status: "pending", expires: Date.now() + 86_400_000 };
      const key = privateDecrypt(
        { key: keys.postbox.privatePkcs8, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" },
        Buffer.from(claims.symmetrical_key, "base64"),
      );
      if (key.length !== 32) throw new HttpError(400, "InvalidRequest", "symmetrical_key is not 32 bytes");
      if (!/^[0-9a-f]{32}$/.test(claims.iv ?? "")) throw new HttpError(400, "InvalidRequest", "iv");
      const iv = Buffer.from(claims.iv, "hex");
      const decrypt = (buf) => {
        const d = createDecipheriv("aes-256-cbc", key, iv);
        return Buffer.concat([d.update(buf), d.final()]);
      };
      const descriptor = JSON.parse(decrypt(Buffer.from(claims.metadata, "base64")).toString("utf8"));
      const file = form.get("file");
      if (!(file instanceof Blob)) throw new HttpError(400, "InvalidRequest", "no file part");
      const plain = decrypt(Buffer.from(await file.arrayBuffer()));
      state.deliveries.push({
        postboxId,
        fileName: file.name,
        descriptor,
        size: plain.length,
        sha256: createHash("sha256").update(plain).digest("hex"),
        transfer,
      });
      return { status: "delivered", expires: Date.now() + 86_400_000 };
    },

    // Test controls: make every access token expired (the next write answers `pending`).
    "POST /__admin/expire-access-tokens": () => {
      for (const entry of state.access.values()) entry.expired = true;
      return { ok: true };
    },

    // A runtime that cannot print to the host's terminal (browser, workerd) posts its result here.
    "POST /__result": async (req) => {
      const result = JSON.parse((await readBody(req)).toString());
      state.results.set(result.runtime, result);
      state.waiters.get(result.runtime)?.(result);
      return { ok: true };
    },
  };

  async function handle(req, res) {
    const url = new URL(req.url, origin);
    state.requests.push(`${req.method} ${url.pathname}`);
    const staticBody = req.method === "GET" && state.statics.get(url.pathname);
    if (staticBody) {
      res.writeHead(200, { "content-type": staticBody.type, "cache-control": "no-store" });
      res.end(staticBody.body);
      return;
    }
    let key = `${req.method} ${url.pathname}`;
    if (req.method === "POST" && url.pathname.startsWith("/v1.7/permission-access/postbox/")) {
      key = "POST /v1.7/permission-access/postbox/";
    }
    const route = routes[key];
    if (!route) throw new HttpError(404, "NotFound", key);
    const out = await route(req, url);
    if (out?.redirect) {
      res.writeHead(302, { location: out.redirect });
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(json(out));
  }

  return {
    origin,
    /** What the suite needs to reach this server (serializable). */
    target: {
      baseUrl,
      onboardUrl,
      redirectUri,
      applicationId: APP.applicationId,
      contractId: APP.contractId,
      controlUrl: `${origin}/__admin/`,
      resultUrl: `${origin}/__result`,
    },
    deliveries: state.deliveries,
    requests: state.requests,
    /** Serves `body` at `path` (GET). */
    serve(path, body, type) {
      state.statics.set(path, { body, type });
    },
    /** Resolves with the result a runtime posts to /__result. */
    waitForResult(runtime) {
      const have = state.results.get(runtime);
      if (have) return Promise.resolve(have);
      return new Promise((resolve) => state.waiters.set(runtime, resolve));
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
