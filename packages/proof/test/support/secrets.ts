/**
 * What an error can show to a log or a user, and a search of that text for secrets: every text a
 * caller might print (`message`, `String(e)`, `JSON.stringify(e)`, `util.inspect(e)`, `stack`,
 * `issues`), down the whole `cause` chain.
 */
import { inspect } from "node:util";

/** Every text an error (and each of its causes) can show. */
export function errorTexts(error: unknown): string[] {
  const texts: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== undefined && current !== null && !seen.has(current)) {
    seen.add(current);
    texts.push(String(current));
    texts.push(inspect(current, { depth: 6, showHidden: true, getters: false }));
    try {
      texts.push(JSON.stringify(current) ?? "");
    } catch {
      // A cycle; inspect covered it.
    }
    if (typeof current === "object") {
      const e = current as { message?: unknown; stack?: unknown; issues?: unknown; code?: unknown };
      for (const v of [e.message, e.stack, e.code]) if (typeof v === "string") texts.push(v);
      if (e.issues !== undefined) texts.push(JSON.stringify(e.issues));
      current = (current as { cause?: unknown }).cause;
    } else current = undefined;
  }
  return texts;
}

/**
 * Slices of a secret to look for: the whole value, and for a long one (a key's base64 body) every
 * 16-character window at a stride of 8, so that a line or a fragment of it is found too.
 */
export function secretNeedles(secret: string): string[] {
  const needles = [secret];
  if (secret.length > 48) {
    for (let i = 0; i + 16 <= secret.length; i += 8) needles.push(secret.slice(i, i + 16));
  }
  return needles;
}

/** The secrets (by name) that any of `texts` contains. */
export function leakedSecrets(texts: string[], secrets: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    if (!secret) continue;
    const needles = secretNeedles(secret);
    if (texts.some((text) => needles.some((needle) => text.includes(needle)))) found.push(name);
  }
  return found;
}

/** The base64 body of a PEM block, without line breaks: the part that is the key. */
export function pemBody(pem: string): string {
  return pem
    .replace(/-----(BEGIN|END) [A-Z ]+-----/g, "")
    .replace(/\s+/g, "")
    .trim();
}
