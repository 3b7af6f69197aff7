/** Secret scrubbing for text that goes into an error: what digi.me said may echo a token or key. */

/** `text` with every secret, JWT (or JWT segment) and PEM block cut out, and not too long for a message. */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join("[redacted]");
  out = out
    .replace(/-----BEGIN[\s\S]*?(?:-----END[^-]*-----|$)/g, "[redacted key]")
    // A JWT, or a segment of one on its own (the payload alone holds the access token).
    .replace(/eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}/g, "[redacted token]");
  return out.length > 300 ? `${out.slice(0, 300)}…` : out;
}
