/**
 * The pending sign-in cookie's encryption (`src/lib/sealed-cookie.ts`) checked against node:crypto:
 * HKDF-SHA-256 of `SESSION_SECRET` (salt `digime-edge`, info `digime-edge cookie <purpose>`), then
 * AES-256-GCM with a 12-byte iv and the purpose as associated data.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { openCookie, sealCookie } from "../../src/lib/sealed-cookie.ts";

const SECRET = "a-session-secret-of-enough-variety-0123456789";
const PURPOSE = "pending-sign-in v1";

function keyOf(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "digime-edge", `digime-edge cookie ${purpose}`, 32));
}

function nodeOpen(value: string, secret = SECRET, purpose = PURPOSE): string {
  const [version, body = ""] = value.split(".");
  expect(version).toBe("g1");
  const bytes = Buffer.from(body, "base64url");
  const decipher = createDecipheriv("aes-256-gcm", keyOf(secret, purpose), bytes.subarray(0, 12));
  decipher.setAAD(Buffer.from(purpose));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString();
}

function nodeSeal(plaintext: string, secret = SECRET, purpose = PURPOSE): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyOf(secret, purpose), iv);
  cipher.setAAD(Buffer.from(purpose));
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return `g1.${Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString("base64url")}`;
}

describe("sealed cookies against node:crypto", () => {
  it("what the Worker seals, node:crypto opens; what node:crypto seals, the Worker opens", async () => {
    for (const text of ["", "x", JSON.stringify(["state", "verifier", "https://app.test/é?x=1", 1, "id"])]) {
      const value = await sealCookie(SECRET, PURPOSE, text);
      // Hidden: the plaintext is not in the value (a one-character text could occur by chance).
      if (text.length > 8) expect(value).not.toContain(text.slice(2, 12));
      expect(nodeOpen(value)).toBe(text);
      expect(await openCookie(SECRET, PURPOSE, nodeSeal(text))).toBe(text);
    }
  });

  it("a fresh iv each time; another secret, purpose or any changed byte does not open", async () => {
    const a = await sealCookie(SECRET, PURPOSE, "same");
    const b = await sealCookie(SECRET, PURPOSE, "same");
    expect(a).not.toBe(b);
    expect(await openCookie(`${SECRET}x`, PURPOSE, a)).toBeUndefined();
    expect(await openCookie(SECRET, "session v1", a)).toBeUndefined();
    expect(await openCookie(SECRET, PURPOSE, nodeSeal("same", SECRET, "other"))).toBeUndefined();
    const bytes = Buffer.from(a.slice(3), "base64url");
    for (let i = 0; i < bytes.length; i++) {
      const copy = Buffer.from(bytes);
      copy[i] = (copy[i] as number) ^ 0x80;
      expect(
        await openCookie(SECRET, PURPOSE, `g1.${copy.toString("base64url")}`),
        String(i),
      ).toBeUndefined();
    }
    for (const bad of [undefined, "", "g1.", "g1.!!", a.slice(0, 20), `g2${a.slice(2)}`, `${a}A`])
      expect(await openCookie(SECRET, PURPOSE, bad), String(bad)).toBeUndefined();
  });
});
