import vectors from "@digime-edge/fixtures/official-v8.json" with { type: "json" };
import { describe, expect, it } from "vitest";
import { parsePem, toPem } from "../src/crypto/pem.ts";
import { TypeValidationError } from "../src/errors.ts";

const pem = vectors.keys.postbox.publicSpki;
const { der } = parsePem(pem);

describe("parsePem", () => {
  it("reads label and DER", () => {
    expect(parsePem(pem).label).toBe("PUBLIC KEY");
    expect(der[0]).toBe(0x30);
    expect(der.length).toBe(294);
    expect(parsePem(vectors.keys.contract.privatePkcs1).label).toBe("RSA PRIVATE KEY");
  });

  it.each([
    ["CRLF line ends", pem.replaceAll("\n", "\r\n")],
    ["surrounding whitespace", `\n\t  ${pem}\n\n  `],
    ["literal \\n escapes (env var)", pem.trim().replaceAll("\n", "\\n")],
    ["literal \\r\\n escapes", pem.trim().replaceAll("\n", "\\r\\n")],
    ["everything on one line", pem.trim().replaceAll("\n", "")],
    ["lines joined by spaces", pem.trim().replaceAll("\n", " ")],
    ["no trailing newline", pem.trim()],
    [
      "lines of another width",
      toPem("PUBLIC KEY", der)
        .replaceAll("\n", "")
        .replace(/(.{76})/g, "$1\n"),
    ],
  ])("tolerates %s", (_, text) => {
    expect(parsePem(text)).toEqual({ label: "PUBLIC KEY", der });
  });

  it.each([
    ["no block", "MIIBIjANBg"],
    ["text before the block", `junk\n${pem}`],
    ["text after the block", `${pem}junk`],
    ["two blocks", `${pem}${pem}`],
    ["mismatched labels", pem.replace("END PUBLIC", "END PRIVATE")],
    ["a lowercase label", pem.replaceAll("PUBLIC KEY", "public key")],
    ["an empty body", "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----"],
    ["a body that is not base64", pem.replace("MIIB", "MI*B")],
    ["a body with a bad length", pem.replace("MIIB", "MIB")],
    ["headers", pem.replace("-----\n", "-----\nProc-Type: 4,ENCRYPTED\n\n")],
    ["not a string", 42],
  ])("refuses %s with TypeValidationError (KEY_IMPORT), without the body", (_, text) => {
    let error: unknown;
    try {
      parsePem(text as string);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TypeValidationError);
    expect((error as TypeValidationError).code).toBe("KEY_IMPORT");
    expect((error as Error).message).not.toContain(pem.split("\n")[2]);
  });
});

describe("toPem", () => {
  it("writes 64-character lines and a final newline", () => {
    const text = toPem("PUBLIC KEY", der);
    expect(text).toBe(pem.endsWith("\n") ? pem : `${pem}\n`);
    const lines = text.split("\n");
    expect(lines.slice(1, -3).every((line) => line.length === 64)).toBe(true);
    expect(toPem("X", new Uint8Array(0))).toBe("-----BEGIN X-----\n-----END X-----\n");
  });
});
