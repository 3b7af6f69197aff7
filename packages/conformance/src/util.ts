/**
 * Helpers of the suite that check sdk-core's output with WebCrypto directly (not through sdk-core):
 * base64, JWT parts, multipart bodies, and a fake `fetch` that records what it is asked.
 */

export type Bytes = Uint8Array<ArrayBuffer>;

export const utf8 = (s: string): Bytes => new TextEncoder().encode(s) as Bytes;
export const fromUtf8 = (b: Uint8Array): string => new TextDecoder().decode(b);

export function fromBase64(s: string): Bytes {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function toBase64(b: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < b.length; i += 0x8000) bin += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(bin);
}

export const fromBase64Url = (s: string): Bytes => fromBase64(s.replace(/-/g, "+").replace(/_/g, "/"));
export const toBase64Url = (b: Uint8Array): string =>
  toBase64(b).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

export function fromHex(s: string): Bytes {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function pemToDer(pem: string): Bytes {
  return fromBase64(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""));
}

/** The parts of a compact JWT, decoded but not verified. */
export function splitJwt(token: string) {
  const [h = "", p = "", s = ""] = token.split(".");
  return {
    headerText: fromUtf8(fromBase64Url(h)),
    header: JSON.parse(fromUtf8(fromBase64Url(h))) as Record<string, unknown>,
    payload: JSON.parse(fromUtf8(fromBase64Url(p))) as Record<string, unknown>,
    signingInput: utf8(`${h}.${p}`),
    signature: fromBase64Url(s),
  };
}

/** The JWT of a request's `Authorization: Bearer` header (empty when there is none). */
export const bearerOf = (req: { headers: Headers }): string =>
  (req.headers.get("authorization") ?? "").replace(/^Bearer /, "");

const PSS_SHA512 = { name: "RSA-PSS", hash: "SHA-512" } as const;

/** PS512 (salt 64) verification with WebCrypto and an SPKI PEM. */
export async function webCryptoVerifyPs512(token: string, spkiPem: string): Promise<boolean> {
  const key = await crypto.subtle.importKey("spki", pemToDer(spkiPem), PSS_SHA512, false, ["verify"]);
  const { signingInput, signature } = splitJwt(token);
  return crypto.subtle.verify({ name: "RSA-PSS", saltLength: 64 }, key, signature, signingInput);
}

/** PS512 (salt 64) signing with WebCrypto and a PKCS#8 PEM: for forging tokens in negative tests. */
export async function webCryptoSignPs512(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  pkcs8Pem: string,
): Promise<string> {
  const key = await crypto.subtle.importKey("pkcs8", pemToDer(pkcs8Pem), PSS_SHA512, false, ["sign"]);
  const input = `${toBase64Url(utf8(JSON.stringify(header)))}.${toBase64Url(utf8(JSON.stringify(payload)))}`;
  const sig = await crypto.subtle.sign({ name: "RSA-PSS", saltLength: 64 }, key, utf8(input));
  return `${input}.${toBase64Url(new Uint8Array(sig))}`;
}

/** RSA-OAEP SHA-1 unwrap with a PKCS#8 PEM, then AES-256-CBC decryption of each input. */
export async function openEnvelope(
  symmetricalKeyB64: string,
  ivHex: string,
  postboxPkcs8Pem: string,
): Promise<{ rawKey: Bytes; decrypt: (cipher: Bytes) => Promise<Bytes> }> {
  const rsa = await crypto.subtle.importKey(
    "pkcs8",
    pemToDer(postboxPkcs8Pem),
    { name: "RSA-OAEP", hash: "SHA-1" },
    false,
    ["decrypt"],
  );
  const rawKey = new Uint8Array(
    await crypto.subtle.decrypt({ name: "RSA-OAEP" }, rsa, fromBase64(symmetricalKeyB64)),
  );
  const aes = await crypto.subtle.importKey("raw", rawKey, { name: "AES-CBC" }, false, ["decrypt"]);
  const iv = fromHex(ivHex);
  return {
    rawKey,
    decrypt: async (cipher) =>
      new Uint8Array(await crypto.subtle.decrypt({ name: "AES-CBC", iv }, aes, cipher)),
  };
}

/** AES-256-CBC (PKCS#7) one-shot encryption with raw key bytes. */
export async function webCryptoCbc(keyHex: string, ivHex: string, plain: Bytes): Promise<Bytes> {
  const key = await crypto.subtle.importKey("raw", fromHex(keyHex), { name: "AES-CBC" }, false, ["encrypt"]);
  return new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CBC", iv: fromHex(ivHex) }, key, plain));
}

/** One request a fake fetch saw. */
export interface SeenRequest {
  url: string;
  method: string;
  headers: Headers;
  redirect: Request["redirect"];
  body: Bytes;
}

/**
 * A `fetch` that responds from `reply` and records every request with its body read in full. It
 * accepts what real fetches accept (a URL or a Request, and an init), so the SDK can't tell it apart.
 */
export function fakeFetch(reply: (req: SeenRequest) => Response | Promise<Response>) {
  const seen: SeenRequest[] = [];
  const fetchFn = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const req = input instanceof Request && init === undefined ? input : new Request(input, init);
    const entry: SeenRequest = {
      url: req.url,
      method: req.method,
      headers: req.headers,
      redirect: req.redirect,
      body: new Uint8Array(await req.arrayBuffer()),
    };
    seen.push(entry);
    return reply(entry);
  };
  return { fetch: fetchFn as typeof fetch, seen };
}

export const jsonResponse = (value: unknown, status = 200): Response =>
  new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });

/**
 * A reply that is busy once: a 503 `ServiceUnavailable` with `Retry-After: 0` to the first request,
 * then `then()` to every other.
 */
export function busyOnce(then: () => Response): () => Response {
  let calls = 0;
  return () =>
    ++calls === 1
      ? new Response(JSON.stringify({ error: { code: "ServiceUnavailable", message: "busy" } }), {
          status: 503,
          headers: { "content-type": "application/json", "retry-after": "0" },
        })
      : then();
}

/** The `file` part of a multipart/form-data body. */
export async function filePart(req: SeenRequest): Promise<{ name: string; bytes: Bytes }> {
  const form = await new Response(req.body, {
    headers: { "content-type": req.headers.get("content-type") ?? "" },
  }).formData();
  const file = form.get("file");
  if (file === null || typeof file === "string") throw new Error("the body has no file part");
  return { name: (file as File).name, bytes: new Uint8Array(await file.arrayBuffer()) };
}
