/**
 * Section 4b (`base64`): base64 and base64url of 16 MiB, both ways: sdk-core's own codec versus
 * Buffer, outputs checked identical.
 */
import { randomBytes } from "node:crypto";
import { type Internals, interleaved, RUNS, type Timing, timingRow } from "../harness.ts";
import { check, MiB, mib, table } from "../lib.ts";

const BASE64_SIZE = 16 * MiB;

/** 4b: base64 and base64url of 16 MiB, both ways (the envelope and JWTs use them), versus Buffer. */
export async function benchBase64(internals: Internals) {
  const bytes = randomBytes(BASE64_SIZE);
  const b64 = bytes.toString("base64");
  const url = bytes.toString("base64url");
  check(internals.encodeBase64(bytes) === b64, "encodeBase64 differs from Buffer");
  check(internals.encodeBase64Url(bytes) === url, "encodeBase64Url differs from Buffer");
  check(Buffer.from(internals.decodeBase64(b64)).equals(bytes), "decodeBase64 differs from Buffer");
  check(Buffer.from(internals.decodeBase64Url(url)).equals(bytes), "decodeBase64Url differs from Buffer");
  const t = await interleaved(RUNS, {
    nodeEncode: async () => bytes.toString("base64"),
    sdkEncode: async () => internals.encodeBase64(bytes),
    sdkEncodeUrl: async () => internals.encodeBase64Url(bytes),
    nodeDecode: async () => Buffer.from(b64, "base64"),
    sdkDecode: async () => internals.decodeBase64(b64),
    sdkDecodeUrl: async () => internals.decodeBase64Url(url),
  });
  const row = (name: string, timing: Timing, base: Timing) => timingRow(name, timing, BASE64_SIZE, [base]);
  table(
    `4b. base64 of ${mib(BASE64_SIZE, 0)} (median of ${RUNS}; outputs checked identical to Buffer)`,
    ["variant", "ms", "CPU ms", "MB/s", "vs Buffer"],
    [
      row("Buffer toString base64 (baseline)", t.nodeEncode, t.nodeEncode),
      row("sdk encodeBase64", t.sdkEncode, t.nodeEncode),
      row("sdk encodeBase64Url", t.sdkEncodeUrl, t.nodeEncode),
      row("Buffer.from base64 (baseline)", t.nodeDecode, t.nodeDecode),
      row("sdk decodeBase64 (strict: canonical input only)", t.sdkDecode, t.nodeDecode),
      row("sdk decodeBase64Url (strict)", t.sdkDecodeUrl, t.nodeDecode),
    ],
    ["MB/s of the bytes, not of the text."],
  );
}
