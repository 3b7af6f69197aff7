/**
 * Section 4 (`sign`): PS512 signatures per second, signJwt versus node:crypto.sign (PSS, salt 64),
 * one at a time and with the pool's width in flight.
 */
import { createPublicKey, randomBytes, sign, verify } from "node:crypto";
import { contractKeyObject, nodeJwt, nodeNonce, PSS, signingInput } from "../baselines.ts";
import { type Internals, opsPerSecond } from "../harness.ts";
import { ACCESS_TOKEN, CLIENT_ID, check, fmt, KEYS, ratio, table } from "../lib.ts";

const SIGN_MS = 1000;

/** Prints table 4. */
export async function benchSign(internals: Internals) {
  const key = await internals.importContractPrivateKey(KEYS.contractPrivate);
  // A typical write payload (the sizes of a real envelope: 2048-bit wrapped key, small metadata).
  const payload = () => ({
    access_token: ACCESS_TOKEN,
    client_id: CLIENT_ID,
    iv: randomBytes(16).toString("hex"),
    metadata: randomBytes(144).toString("base64"),
    nonce: nodeNonce(),
    symmetrical_key: randomBytes(256).toString("base64"),
    timestamp: Date.now(),
  });
  const sample = payload();
  const ours = await internals.signJwt(sample, key);
  const [h, p, s] = ours.split(".") as [string, string, string];
  check(
    verify(
      "sha512",
      Buffer.from(`${h}.${p}`),
      { key: createPublicKey(KEYS.contractPublic), ...PSS },
      Buffer.from(s, "base64url"),
    ),
    "signJwt's signature does not verify with node:crypto (PS512, salt 64)",
  );
  const nodeAsync = (claims: Record<string, unknown>) =>
    new Promise<string>((resolve, reject) => {
      const input = signingInput(claims);
      sign("sha512", Buffer.from(input), { key: contractKeyObject, ...PSS }, (error, sig) =>
        error ? reject(error) : resolve(`${input}.${sig.toString("base64url")}`),
      );
    });
  const claims = payload();
  const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const r = await opsPerSecond(
    {
      syncBase: { concurrency: 1, op: () => nodeJwt(claims) },
      ours1: { concurrency: 1, op: () => internals.signJwt(claims, key) },
      asyncBase: { concurrency: threads, op: () => nodeAsync(claims) },
      oursN: { concurrency: threads, op: () => internals.signJwt(claims, key) },
    },
    SIGN_MS,
  );
  const [syncBase, ours1, asyncBase, oursN] = [r.syncBase, r.ours1, r.asyncBase, r.oursN] as number[] as [
    number,
    number,
    number,
    number,
  ];
  table(
    `4. PS512 (RSA-2048, PSS salt 64) JWT signatures per second, typical write payload (median of 5 interleaved rounds, ${SIGN_MS} ms in all per variant)`,
    ["variant", "in flight", "signatures/s", "vs node"],
    [
      ["node:crypto.sign, synchronous (baseline)", "1", fmt(syncBase), ratio(syncBase, syncBase)],
      ["sdk signJwt (WebCrypto), awaited one by one", "1", fmt(ours1), ratio(ours1, syncBase)],
      [
        "node:crypto.sign with callback (baseline)",
        String(threads),
        fmt(asyncBase),
        ratio(asyncBase, asyncBase),
      ],
      ["sdk signJwt (WebCrypto)", String(threads), fmt(oursN), ratio(oursN, asyncBase)],
    ],
    ["Each JWT: JSON, base64url and the signature. One signJwt output checked with node:crypto.verify."],
  );
}
