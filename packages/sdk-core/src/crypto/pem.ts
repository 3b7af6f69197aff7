/** PEM (RFC 7468) text to DER bytes and back. Errors never include the PEM's body. */
import { TypeValidationError } from "../errors.ts";
import { decodeBase64, encodeBase64 } from "../internal/base64.ts";

/** A decoded PEM block: its label (e.g. `RSA PRIVATE KEY`) and the DER bytes. */
export interface PemBlock {
  /** The text between `BEGIN ` and the closing dashes. */
  label: string;
  /** The decoded body. */
  der: Uint8Array<ArrayBuffer>;
}

const PEM = /^-----BEGIN ([A-Z0-9]+(?: [A-Z0-9]+)*)-----([^-]*)-----END ([A-Z0-9 ]+)-----$/;

function invalid(what: string): TypeValidationError {
  return new TypeValidationError(`Invalid PEM: ${what}`, { code: "KEY_IMPORT" });
}

/**
 * Parses exactly one PEM block. Tolerates `\r\n` line ends, whitespace around the block and in the
 * body, and the two-character escapes `\n` / `\r\n` that a PEM gets when stored in an env var.
 * @throws TypeValidationError (code `KEY_IMPORT`) when `pem` is not one well-formed block.
 */
export function parsePem(pem: string): PemBlock {
  // A value that is not a string has no `replace`: no block either.
  const match =
    typeof pem === "string" &&
    PEM.exec(
      pem
        .replace(/\\r|\\n/g, "\n")
        .replace(/\r\n?/g, "\n")
        .trim(),
    );
  if (!match) throw invalid("not one BEGIN/END block");
  const [, label = "", rawBody = "", endLabel] = match;
  if (endLabel !== label) throw invalid("BEGIN and END labels differ");
  if (rawBody.includes(":")) throw invalid("has headers (encrypted?)");
  const body = rawBody.replace(/[ \t\n]+/g, "");
  if (body.length === 0) throw invalid("empty body");
  try {
    return { label, der: decodeBase64(body) };
  } catch {
    throw invalid("body is not base64");
  }
}

/** PEM text for `der`: 64-character lines, ending with a newline. */
export function toPem(label: string, der: Uint8Array): string {
  const lines = encodeBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${[...lines, `-----END ${label}-----`].join("\n")}\n`;
}
