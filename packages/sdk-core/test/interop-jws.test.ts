import { constants, createHmac, createPrivateKey, sign, verify } from "node:crypto";
import vectors from "@digime-edge/fixtures/official-v8.json" with { type: "json" };
import { importPKCS8, importSPKI, jwtVerify, SignJWT } from "jose";
import { describe, expect, it, vi } from "vitest";
import { decodeJwt, signJwt, verifyJwt } from "../src/crypto/jws.ts";
import {
  importContractPrivateKey,
  importPostboxPublicKey,
  importVerificationKey,
} from "../src/crypto/keys.ts";
import { TokenVerificationError, TypeValidationError } from "../src/errors.ts";

const { contract, digime } = vectors.keys;
const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 } as const;
const b64url = (s: string | Buffer) => Buffer.from(s).toString("base64url");
const payload = {
  client_id: "app_contract",
  nonce: "n".repeat(32),
  timestamp: 1764415200000,
  ü: "ünïcödé ✓",
};

const contractKey = () => importVerificationKey({ pem: contract.publicSpki });
const resolveContract = async () => contractKey();

/** A token signed by node:crypto with the given header, algorithm and key. */
function nodeToken(
  header: object,
  body: object,
  how: "PS512" | "RS512" = "PS512",
  pem = contract.privatePkcs1,
) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(body))}`;
  const key = createPrivateKey(pem);
  const signature =
    how === "PS512"
      ? sign("sha512", Buffer.from(input), { key, ...PSS })
      : sign("sha512", Buffer.from(input), key);
  return `${input}.${signature.toString("base64url")}`;
}

describe("our JWTs, verified by others", () => {
  it('has exactly the header {"alg":"PS512","typ":"JWT"} and the payload as JSON', async () => {
    const token = await signJwt(payload, await importContractPrivateKey(contract.privatePkcs1));
    const [h, p, s] = token.split(".") as [string, string, string];
    expect(Buffer.from(h, "base64url").toString()).toBe('{"alg":"PS512","typ":"JWT"}');
    expect(JSON.parse(Buffer.from(p, "base64url").toString())).toEqual(payload);
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/); // base64url, no padding
    expect(Buffer.from(s, "base64url")).toHaveLength(256);
    const decoded = decodeJwt(token);
    expect(decoded.signingInput).toBe(`${h}.${p}`);
    expect(Buffer.from(decoded.signature).equals(Buffer.from(s, "base64url"))).toBe(true);
    expect(decoded.payload).toEqual(payload);
  });

  it.each(["privatePkcs1", "privatePkcs8"] as const)(
    "verifies with node:crypto (PSS, salt 64), key %s",
    async (form) => {
      const token = await signJwt(payload, await importContractPrivateKey(contract[form]));
      const [h, p, s] = token.split(".") as [string, string, string];
      const input = Buffer.from(`${h}.${p}`);
      const signature = Buffer.from(s, "base64url");
      expect(verify("sha512", input, { key: contract.publicSpki, ...PSS }, signature)).toBe(true);
      // Salt length is part of the scheme: the same signature with salt 32 must not verify.
      expect(verify("sha512", input, { key: contract.publicSpki, ...PSS, saltLength: 32 }, signature)).toBe(
        false,
      );
      expect(verify("sha512", input, { key: digime.publicSpki, ...PSS }, signature)).toBe(false);
    },
  );

  it("verifies with jose (PS512)", async () => {
    const token = await signJwt(payload, await importContractPrivateKey(contract.privatePkcs1));
    const { payload: got, protectedHeader } = await jwtVerify(
      token,
      await importSPKI(contract.publicSpki, "PS512"),
      {
        algorithms: ["PS512"],
      },
    );
    expect(protectedHeader).toEqual({ alg: "PS512", typ: "JWT" });
    expect(got).toEqual(payload);
  });

  it("signatures are randomized (PSS) yet all verify", async () => {
    const key = await importContractPrivateKey(contract.privatePkcs1);
    const [a, b] = await Promise.all([signJwt(payload, key), signJwt(payload, key)]);
    expect(a).not.toBe(b);
    await expect(verifyJwt(a, resolveContract)).resolves.toMatchObject({ payload });
    await expect(verifyJwt(b, resolveContract)).resolves.toMatchObject({ payload });
  });

  it("refuses a payload that is not an object, or a key that does not fit", async () => {
    const key = await importContractPrivateKey(contract.privatePkcs1);
    await expect(signJwt([] as unknown as Record<string, unknown>, key)).rejects.toBeInstanceOf(
      TypeValidationError,
    );
    await expect(signJwt({ n: 1n }, key)).rejects.toBeInstanceOf(TypeValidationError);
    await expect(signJwt(payload, await contractKey())).rejects.toBeInstanceOf(TypeValidationError);
    await expect(signJwt(payload, await importPostboxPublicKey(contract.publicSpki))).rejects.toBeInstanceOf(
      TypeValidationError,
    );
  });
});

describe("others' JWTs, verified by ours", () => {
  it("accepts a node:crypto PS512 token", async () => {
    const token = nodeToken({ alg: "PS512", typ: "JWT", kid: "k1" }, payload);
    const { header, payload: got } = await verifyJwt(token, resolveContract);
    expect(header).toEqual({ alg: "PS512", typ: "JWT", kid: "k1" });
    expect(got).toEqual(payload);
  });

  it("accepts a jose PS512 token", async () => {
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: "PS512", kid: "k2" })
      .sign(await importPKCS8(contract.privatePkcs8, "PS512"));
    const { header, payload: got } = await verifyJwt(token, resolveContract);
    expect(header).toEqual({ alg: "PS512", kid: "k2" });
    expect(got).toEqual(payload);
  });
});

describe("forged or malformed tokens are refused", () => {
  const good = () => nodeToken({ alg: "PS512", typ: "JWT" }, payload);

  async function refused(token: string, resolver = vi.fn(resolveContract)) {
    const error = await verifyJwt(token, resolver).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenVerificationError);
    expect((error as TokenVerificationError).code).toBe("TOKEN_VERIFICATION");
    return resolver;
  }

  it("signed by another key", async () => {
    await refused(nodeToken({ alg: "PS512", typ: "JWT" }, payload, "PS512", digime.privatePkcs1));
  });

  it("tampered payload, header or signature", async () => {
    const [h, p, s] = good().split(".") as [string, string, string];
    await refused(`${h}.${b64url(JSON.stringify({ ...payload, client_id: "evil" }))}.${s}`);
    await refused(`${b64url(JSON.stringify({ alg: "PS512", typ: "JWT", kid: "x" }))}.${p}.${s}`);
    const flipped = Buffer.from(s, "base64url");
    flipped[100] = (flipped[100] as number) ^ 1;
    await refused(`${h}.${p}.${flipped.toString("base64url")}`);
    await refused(`${h}.${p}.${Buffer.from(s, "base64url").subarray(0, 255).toString("base64url")}`);
  });

  it.each([
    ["none, no signature", `${b64url('{"alg":"none","typ":"JWT"}')}.${b64url(JSON.stringify(payload))}.`],
    [
      "none, with a signature",
      (() => {
        const [, p, s] = nodeToken({ alg: "PS512" }, payload).split(".");
        return `${b64url('{"alg":"none"}')}.${p}.${s}`;
      })(),
    ],
    ["NONE", nodeToken({ alg: "NONE" }, payload)],
    ["ps512 (wrong case)", nodeToken({ alg: "ps512" }, payload)],
    ["RS512 with a valid RS512 signature", nodeToken({ alg: "RS512", typ: "JWT" }, payload, "RS512")],
    ["PS256", nodeToken({ alg: "PS256" }, payload)],
    [
      "HS512 keyed with the public key PEM",
      (() => {
        const input = `${b64url('{"alg":"HS512","typ":"JWT"}')}.${b64url(JSON.stringify(payload))}`;
        return `${input}.${createHmac("sha512", contract.publicSpki).update(input).digest("base64url")}`;
      })(),
    ],
    ["HS256", nodeToken({ alg: "HS256" }, payload)],
    ["alg not a string", nodeToken({ alg: ["PS512"] }, payload)],
    ["alg missing", nodeToken({ typ: "JWT" }, payload)],
    ["alg inherited (__proto__)", nodeToken({ alg: "constructor" }, payload)],
  ])("alg %s, before any key is resolved", async (_, token) => {
    const resolver = await refused(token);
    expect(resolver).not.toHaveBeenCalled();
  });

  it("an RS512 token really is valid RS512 (so only the alg check refuses it)", () => {
    const [h, p, s] = nodeToken({ alg: "RS512" }, payload, "RS512").split(".") as [string, string, string];
    expect(verify("sha512", Buffer.from(`${h}.${p}`), contract.publicSpki, Buffer.from(s, "base64url"))).toBe(
      true,
    );
  });

  it("a crit header, before any key is resolved", async () => {
    const resolver = await refused(nodeToken({ alg: "PS512", crit: ["exp"], exp: 1 }, payload));
    expect(resolver).not.toHaveBeenCalled();
  });

  it.each([
    ["two segments", (t: string) => t.split(".").slice(0, 2).join(".")],
    ["four segments", (t: string) => `${t}.`],
    ["empty", () => ""],
    ["padded segment", (t: string) => t.replace(".", "=.")],
    ["standard base64 characters", (t: string) => `${t.slice(0, -2)}+/`],
    ["whitespace", (t: string) => ` ${t}`],
    ["header is not JSON", (t: string) => `${b64url("{alg:PS512}")}.${t.split(".").slice(1).join(".")}`],
    ["header is a JSON array", (t: string) => `${b64url('["PS512"]')}.${t.split(".").slice(1).join(".")}`],
    ["header is JSON null", (t: string) => `${b64url("null")}.${t.split(".").slice(1).join(".")}`],
    ["payload is a JSON string", (t: string) => t.replace(/\.[^.]+\./, `.${b64url('"x"')}.`)],
    [
      "payload is not UTF-8",
      (t: string) => t.replace(/\.[^.]+\./, `.${Buffer.from([0x7b, 0xff, 0x7d]).toString("base64url")}.`),
    ],
    ["empty signature", (t: string) => t.replace(/[^.]+$/, "")],
  ])("malformed: %s", async (_, mutate) => {
    const resolver = await refused(mutate(good()));
    expect(resolver).not.toHaveBeenCalled();
    expect(() => decodeJwt(mutate(good()))).toThrow(TokenVerificationError);
  });

  it("a payload that is not JSON, without quoting it in the error", async () => {
    const [h, , s] = good().split(".") as [string, string, string];
    const token = `${h}.${b64url('{"access_token":secret-access-token-value}')}.${s}`;
    await refused(token);
    const error = await verifyJwt(token, resolveContract).catch((e: unknown) => e);
    const text = `${JSON.stringify(error)} ${String(error)} ${String((error as Error).cause ?? "")}`;
    expect(text).not.toContain("secret-acc");
  });

  it("a resolved key of the wrong kind", async () => {
    await refused(
      good(),
      vi.fn(() => importPostboxPublicKey(contract.publicSpki)),
    );
    await refused(
      good(),
      vi.fn(() => importContractPrivateKey(contract.privatePkcs1)),
    );
  });

  it("resolver failures: SDK errors pass through, others become TokenVerificationError", async () => {
    const own = new TokenVerificationError("unknown kid", { code: "UNTRUSTED_KEY_SET" });
    await expect(verifyJwt(good(), () => Promise.reject(own))).rejects.toBe(own);
    const other = new Error("boom");
    const error = await verifyJwt(good(), () => Promise.reject(other)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenVerificationError);
    expect((error as Error).cause).toBe(other);
  });
});
