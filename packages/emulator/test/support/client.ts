import { createPublicKey, type KeyObject } from "node:crypto";
import { decodeProtectedHeader, jwtVerify } from "jose";
import type { RunningEmulator } from "../../src/index.ts";
import {
  aesCbc,
  CALLBACK,
  contractKeys,
  DESCRIPTOR,
  MULTIPART_TYPE,
  makeEnvelope,
  multipart,
  pkcePair,
  REDIRECT_URI,
  signRequest,
} from "./protocol.ts";

export interface Onboarded {
  userId: string;
  postboxId: string;
  publicKey: string;
  accessToken: string;
  refreshToken: string;
  accessExpiry: number;
}

/** Drives the API like an app would, with fetch. */
export class Client {
  constructor(
    readonly emulator: RunningEmulator,
    readonly clientId = "test-app_test-contract",
    readonly privateKey: KeyObject = contractKeys.privateKey,
  ) {}

  post(path: string, jwt: string, init: RequestInit = {}) {
    return fetch(`${this.emulator.baseUrl}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${jwt}`, "content-type": "application/json" },
      body: JSON.stringify({ agent: { sdk: { name: "tests", version: "0.0.0", meta: {} } } }),
      redirect: "error",
      ...init,
    });
  }

  /** Verifies an answer token: its `jku` must be on the emulator's origin, its `kid` in that key set. */
  async verify(token: string): Promise<Record<string, unknown>> {
    const header = decodeProtectedHeader(token);
    if (typeof header.jku !== "string" || new URL(header.jku).origin !== this.emulator.url) {
      throw new Error(`untrusted jku ${String(header.jku)}`);
    }
    const set = (await (await fetch(header.jku)).json()) as { keys: { kid: string; pem: string }[] };
    const key = set.keys.find((k) => k.kid === header.kid);
    if (!key) throw new Error(`no key ${header.kid}`);
    const { payload } = await jwtVerify(token, createPublicKey(key.pem), { algorithms: ["PS512"] });
    return payload as Record<string, unknown>;
  }

  authorizeJwt(claims: Record<string, unknown> = {}) {
    const { challenge } = pkcePair();
    return signRequest(
      {
        client_id: this.clientId,
        code_challenge: challenge,
        code_challenge_method: "S256",
        redirect_uri: REDIRECT_URI,
        response_mode: "query",
        response_type: "code",
        state: "state-1",
        ...claims,
      },
      this.privateKey,
    );
  }

  /** `oauth/authorize`; returns the preauthorization code and the PKCE verifier. */
  async authorize(claims: Record<string, unknown> = {}) {
    const pkce = pkcePair();
    const res = await this.post(
      "oauth/authorize",
      await this.authorizeJwt({ code_challenge: pkce.challenge, ...claims }),
    );
    if (res.status !== 200) throw new Error(`authorize ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { token: string; session: { expiry: number; key: string } };
    const payload = await this.verify(body.token);
    return { code: payload.preauthorization_code as string, verifier: pkce.verifier, session: body.session };
  }

  consentUrl(code: string, callback = CALLBACK) {
    return `${this.emulator.onboardUrl}authorize?code=${encodeURIComponent(code)}&callback=${encodeURIComponent(callback)}`;
  }

  /** Follows the consent page with auto-approve on; returns the redirect's query. */
  async consentAuto(code: string) {
    const res = await fetch(this.consentUrl(code), { redirect: "manual" });
    if (res.status !== 302) throw new Error(`consent ${res.status} ${await res.text()}`);
    return new URL(res.headers.get("location") ?? "").searchParams;
  }

  async exchange(code: string, verifier: string) {
    return this.post(
      "oauth/token",
      await signRequest(
        { client_id: this.clientId, code, code_verifier: verifier, grant_type: "authorization_code" },
        this.privateKey,
      ),
    );
  }

  async refresh(refreshToken: string) {
    return this.post(
      "oauth/token",
      await signRequest(
        { client_id: this.clientId, grant_type: "refresh_token", refresh_token: refreshToken },
        this.privateKey,
      ),
    );
  }

  async tokensOf(res: Response) {
    if (res.status !== 200) throw new Error(`token ${res.status} ${await res.text()}`);
    const payload = (await this.verify(((await res.json()) as { token: string }).token)) as {
      access_token: { value: string; expires_on: number };
      refresh_token: { value: string; expires_on: number };
      sub: string;
    };
    return payload;
  }

  /** authorize -> consent (auto-approve must be on) -> token. */
  async onboard(claims: Record<string, unknown> = {}): Promise<Onboarded> {
    const { code, verifier } = await this.authorize(claims);
    const query = await this.consentAuto(code);
    const tokens = await this.tokensOf(await this.exchange(query.get("code") ?? "", verifier));
    return {
      userId: tokens.sub,
      postboxId: query.get("postboxId") ?? "",
      publicKey: query.get("publicKey") ?? "",
      accessToken: tokens.access_token.value,
      refreshToken: tokens.refresh_token.value,
      accessExpiry: tokens.access_token.expires_on,
    };
  }

  /** A write request: `body` is the whole multipart body or a stream of it. */
  async writeRaw(
    postboxId: string,
    claims: Record<string, unknown>,
    body: BodyInit,
    contentType = MULTIPART_TYPE,
  ) {
    const jwt = await signRequest({ client_id: this.clientId, ...claims }, this.privateKey);
    return fetch(`${this.emulator.baseUrl}permission-access/postbox/${postboxId}`, {
      method: "POST",
      headers: { authorization: `Bearer ${jwt}`, "content-type": contentType },
      body,
      redirect: "error",
      duplex: "half",
    } as RequestInit);
  }

  /** Encrypts and writes `data` as the official SDK would. */
  async write(box: Onboarded, data: Buffer, options: { fileName?: string; descriptor?: unknown } = {}) {
    const envelope = makeEnvelope(box.publicKey, options.descriptor ?? DESCRIPTOR);
    return this.writeRaw(
      box.postboxId,
      { access_token: box.accessToken, ...envelope.claims },
      multipart(options.fileName ?? "data.json", aesCbc(envelope.key, envelope.iv, data)),
    );
  }
}
