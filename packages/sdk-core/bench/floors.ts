/**
 * The floors on WebCrypto, measured in the same runs as the baselines: a small write with its
 * crypto on `crypto.subtle` (the least a WebCrypto write must do), and the cipher of a streamed
 * write alone, `crypto.subtle` in sdk-core's chained calls against `createCipheriv` (the cipher's
 * own cost on WebCrypto, no sending).
 */
import { createCipheriv } from "node:crypto";
import {
  contractKeyObject,
  fetchWrite,
  postboxKeyObject,
  signingInput,
  writeClaims,
  writeFraming,
} from "./baselines.ts";
import { check, FILE_DESCRIPTOR, KiB, MiB, patternChunk } from "./lib.ts";

/** {@link webCryptoKeys}'s keys, once imported. */
let keys: Promise<[contract: CryptoKey, postbox: CryptoKey]> | undefined;

/**
 * The contract and postbox keys as WebCrypto keys, imported once (as sdk-core caches them): the
 * small write's floor's keys.
 */
function webCryptoKeys() {
  keys ??= Promise.all([
    crypto.subtle.importKey(
      "pkcs8",
      contractKeyObject.export({ format: "der", type: "pkcs8" }),
      { name: "RSA-PSS", hash: "SHA-512" },
      false,
      ["sign"],
    ),
    crypto.subtle.importKey(
      "spki",
      postboxKeyObject.export({ format: "der", type: "spki" }),
      { name: "RSA-OAEP", hash: "SHA-1" },
      false,
      ["encrypt"],
    ),
  ]);
  return keys;
}

/**
 * The floor of a small write on WebCrypto: the same request as {@link nodeWriteFetch}'s, its crypto
 * on `crypto.subtle` with the keys imported beforehand, doing only what a WebCrypto write must (as
 * sdk-core does it): a fresh AES key imported, its RSA-OAEP wrapping and the AES-CBC of the
 * metadata and of the file at once, then the PS512 signature over the envelope. The rest (JWT
 * text, nonce, multipart framing, the body as one buffer) as the node:crypto baseline does it.
 */
export async function webCryptoWriteFetch(url: string, size: number) {
  check(size <= MiB, "the WebCrypto floor sends a small file as one buffer");
  const [contract, postbox] = await webCryptoKeys();
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const iv = crypto.getRandomValues(new Uint8Array(16));
  const cbc = { name: "AES-CBC", iv };
  const [wrapped, [metadata, file]] = await Promise.all([
    crypto.subtle.encrypt({ name: "RSA-OAEP" }, postbox, raw),
    crypto.subtle
      .importKey("raw", raw, "AES-CBC", false, ["encrypt"])
      .then((key) =>
        Promise.all([
          crypto.subtle.encrypt(cbc, key, Buffer.from(JSON.stringify(FILE_DESCRIPTOR))),
          crypto.subtle.encrypt(cbc, key, patternChunk(0, size)),
        ]),
      ),
  ]);
  const claims = writeClaims(
    Buffer.from(iv).toString("hex"),
    Buffer.from(metadata).toString("base64"),
    Buffer.from(wrapped).toString("base64"),
  );
  const input = signingInput(claims);
  const signature = await crypto.subtle.sign(
    { name: "RSA-PSS", saltLength: 64 },
    contract,
    Buffer.from(input),
  );
  const { head, tail, headers } = writeFraming(`${input}.${Buffer.from(signature).toString("base64url")}`);
  await fetchWrite(url, headers, Buffer.concat([head, new Uint8Array(file), tail]), "WebCrypto write");
}

/** The plaintext of the cipher alone: `size` bytes, the pattern's first 4 MiB over and over. */
const CIPHER_SOURCE_SIZE = 4 * MiB;

/**
 * The official path's cipher alone: `size` bytes through one `createCipheriv` in `chunkSize`
 * updates (as the official SDK's stream feeds it), no sending. Returns the last cipher block.
 */
export function nodeCipherOnly(key: Buffer, iv: Buffer, size: number, chunkSize = 64 * KiB): Buffer {
  const cipher = createCipheriv("aes-256-cbc", key, iv);
  for (let done = 0; done < size; done += chunkSize) {
    cipher.update(cipherSourceAt(done, Math.min(chunkSize, size - done)));
  }
  return cipher.final().subarray(-16);
}

/**
 * A streamed write's cipher alone on WebCrypto: `size` bytes (a multiple of `pieceSize`), the
 * same bytes as {@link nodeCipherOnly}'s, encrypted with `crypto.subtle` AES-CBC in `pieceSize`
 * calls, each chained from the one before's last cipher block and its padding block dropped (as
 * sdk-core's `internal/cbc.ts` does), the last padded; no sending. Returns the last cipher block.
 */
export async function webCryptoCipherOnly(
  key: CryptoKey,
  iv: Uint8Array<ArrayBuffer>,
  size: number,
  pieceSize = CIPHER_SOURCE_SIZE,
): Promise<Uint8Array> {
  check(size % pieceSize === 0, `the cipher's size ${size} is not a multiple of its piece size ${pieceSize}`);
  let chainIv = iv;
  for (let done = 0; done < size; done += pieceSize) {
    const piece = cipherSourceAt(done, pieceSize);
    const out = await crypto.subtle.encrypt({ name: "AES-CBC", iv: chainIv }, key, piece);
    chainIv = new Uint8Array(out.slice(pieceSize - 16, pieceSize));
  }
  const last = await crypto.subtle.encrypt({ name: "AES-CBC", iv: chainIv }, key, new Uint8Array(0));
  return new Uint8Array(last);
}

let cipherSourceBytes: Uint8Array<ArrayBuffer> | undefined;

/**
 * The cipher's plaintext from byte `at`, `length` bytes. Every call of both ciphers must lie within
 * one repeat of the source, so that both encrypt the same bytes: checked, it fails loudly otherwise.
 */
function cipherSourceAt(at: number, length: number): Uint8Array<ArrayBuffer> {
  cipherSourceBytes ??= patternChunk(0, CIPHER_SOURCE_SIZE);
  const start = at % CIPHER_SOURCE_SIZE;
  check(
    start + length <= CIPHER_SOURCE_SIZE,
    `a cipher call of ${length} bytes at ${at} crosses the end of the ${CIPHER_SOURCE_SIZE}-byte source`,
  );
  return cipherSourceBytes.subarray(start, start + length);
}
