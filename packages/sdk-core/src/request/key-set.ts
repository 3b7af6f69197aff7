/**
 * Key sets that verify digi.me's response tokens: fetched only from trusted origins, never with
 * credentials, never following a redirect; cached, and fetched again once when a token names a
 * `kid` the cached set does not hold. Keys come as `pem` (digi.me's field) or JWK `kty`/`n`/`e`.
 */
import { importVerificationKey, type VerificationKeyInput } from "../crypto/keys.ts";
import { DigiMeSDKError, TokenVerificationError } from "../errors.ts";
import { parseUrl } from "../internal/fields.ts";
import { type HttpSettings, sendRequest } from "./send.ts";

/** Options of {@link createKeySetResolver}. */
export interface KeySetResolverOptions {
  /** How requests are sent (fetch, retries, timeout). */
  http: HttpSettings;
  /** Origins (`scheme://host[:port]`) a key set may come from. */
  trustedOrigins: ReadonlySet<string>;
  /** How long a fetched key set is used before it is fetched again. Default 10 minutes. */
  maxAgeMs?: number;
}

/** Finds the key that verifies a token, from the header's `jku` and `kid`. */
export type VerificationKeyResolver = (header: { jku?: unknown; kid?: unknown }) => Promise<CryptoKey>;

interface CachedSet {
  fetchedAt: number;
  keys: Promise<Map<string, VerificationKeyInput>>;
}

function untrusted(message: string): TokenVerificationError {
  return new TokenVerificationError(message, { code: "UNTRUSTED_KEY_SET" });
}

/** The key set URL of a token header, once it is known to be allowed. */
function keySetUrl(jku: unknown, trustedOrigins: ReadonlySet<string>): URL {
  const url = typeof jku === "string" ? parseUrl(jku) : undefined;
  if (url === undefined) throw untrusted("The token names no key set URL (jku)");
  if (url.username || url.password) throw untrusted("The token's jku has credentials");
  if (!/^https?:$/.test(url.protocol) || !trustedOrigins.has(url.origin)) {
    throw untrusted(`The token's key set origin ${url.origin} is not trusted`);
  }
  url.hash = "";
  return url;
}

// Each key by its `kid`: its `pem` when it has one, else the entry itself (a JWK, checked when imported).
function parseKeySet(data: unknown): Map<string, VerificationKeyInput> {
  const keys = (data as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new TokenVerificationError("The key set is not { keys: [...] }");
  const out = new Map<string, VerificationKeyInput>();
  for (const key of keys as (Record<string, unknown> | null)[]) {
    if (typeof key?.kid === "string") {
      out.set(key.kid, (typeof key.pem === "string" ? { pem: key.pem } : key) as VerificationKeyInput);
    }
  }
  return out;
}

/**
 * A resolver for `verifyJwt`, with its own cache of key sets.
 * @throws (from the resolver) TokenVerificationError, code `UNTRUSTED_KEY_SET` when the `jku` is not
 *   allowed, `TOKEN_VERIFICATION` when the set or the key is unusable; the key set request's own
 *   ServerError or NetworkError.
 */
export function createKeySetResolver(options: KeySetResolverOptions): VerificationKeyResolver {
  const { http, trustedOrigins, maxAgeMs = 10 * 60_000 } = options;
  const cache = new Map<string, CachedSet>();

  const fetchSet = (href: string): CachedSet => {
    const keys = sendRequest(http, {
      what: "key set",
      build: async () => ({ url: href, method: "GET", headers: { Accept: "application/json" } }),
    }).then(({ data }) => parseKeySet(data));
    const entry = { fetchedAt: Date.now(), keys };
    cache.set(href, entry);
    keys.catch(() => {
      if (cache.get(href) === entry) cache.delete(href);
    });
    return entry;
  };

  return async (header) => {
    const { kid } = header;
    if (typeof kid !== "string" || kid === "")
      throw new TokenVerificationError("The token names no key (kid)");
    const href = keySetUrl(header.jku, trustedOrigins).href;
    let entry = cache.get(href);
    let fresh = false;
    if (entry === undefined || Date.now() - entry.fetchedAt > maxAgeMs) {
      entry = fetchSet(href);
      fresh = true;
    }
    let key = (await entry.keys).get(kid);
    if (key === undefined && !fresh) {
      // Keys rotate: a kid we have not seen may be in a newer set. Ask once more, then give up.
      // A fetch another call started meanwhile is as good as ours.
      const current = cache.get(href);
      entry = current !== undefined && current !== entry ? current : fetchSet(href);
      key = (await entry.keys).get(kid);
    }
    if (key === undefined) throw new TokenVerificationError("The key set has no key of the token's kid");
    try {
      return await importVerificationKey(key);
    } catch (error) {
      throw new TokenVerificationError("The token's key in the key set does not import", {
        cause: error instanceof DigiMeSDKError ? error : undefined,
      });
    }
  };
}
