/**
 * The staging encryption of resumable plain uploads (`src/lib/tus/staging-cipher.ts`) against
 * node:crypto's AES-256-GCM: a sealed piece is `iv || ciphertext || tag` that node:crypto opens
 * with the piece's position as additional data; node:crypto's pieces open here; a changed byte, a
 * wrong position or a wrong key fails; every piece gets a fresh iv.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  importStagingKey,
  newStagingKey,
  openPiece,
  SEAL_OVERHEAD,
  sealPiece,
} from "../../src/lib/tus/staging-cipher.ts";

const plain = new Uint8Array(randomBytes(100_003));

describe("staging cipher (AES-256-GCM per piece)", () => {
  it("seals as node:crypto opens it, with the position as additional data", async () => {
    const raw = newStagingKey();
    expect(raw.length).toBe(32);
    const piece = await sealPiece(await importStagingKey(raw), plain, "id:part:3");
    expect(piece.length).toBe(plain.length + SEAL_OVERHEAD);
    const decipher = createDecipheriv("aes-256-gcm", raw, piece.subarray(0, 12));
    decipher.setAAD(Buffer.from("id:part:3"));
    decipher.setAuthTag(piece.subarray(piece.length - 16));
    const opened = Buffer.concat([decipher.update(piece.subarray(12, piece.length - 16)), decipher.final()]);
    expect(opened.equals(Buffer.from(plain))).toBe(true);
  });

  it("opens what node:crypto sealed; refuses a changed byte, another position or key", async () => {
    const raw = newStagingKey();
    const key = await importStagingKey(raw);
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", raw, iv);
    cipher.setAAD(Buffer.from("id:tail:2:7"));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const piece = new Uint8Array(Buffer.concat([iv, body, cipher.getAuthTag()]));
    expect(await openPiece(key, piece, "id:tail:2:7")).toEqual(plain);
    const changed = piece.slice();
    changed[500] = (changed[500] as number) ^ 1;
    const otherKey = await importStagingKey(newStagingKey());
    for (const open of [
      () => openPiece(key, changed, "id:tail:2:7"),
      () => openPiece(key, piece, "id:tail:2:8"),
      () => openPiece(otherKey, piece, "id:tail:2:7"),
    ]) {
      // WebCrypto's refusal of a piece that does not authenticate.
      const error = await open().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DOMException);
      expect((error as DOMException).name).toBe("OperationError");
    }
  });

  it("a fresh iv for every piece, also of the same bytes at the same position", async () => {
    const key = await importStagingKey(newStagingKey());
    const ivs = new Set<string>();
    for (let i = 0; i < 20; i++)
      ivs.add(
        Buffer.from((await sealPiece(key, plain.subarray(0, 64), "id:part:1")).subarray(0, 12)).toString(
          "hex",
        ),
      );
    expect(ivs.size).toBe(20);
  });
});
