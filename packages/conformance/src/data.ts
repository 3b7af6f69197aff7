/**
 * Deterministic file content shared by the suite (which sends it) and the Node host (which checks
 * what the server decrypted). Both regenerate the bytes from a seed, so neither trusts the other.
 */

/** The files the suite writes through the server; the host expects exactly these. */
export const WRITES = {
  bytes: { fileName: "conformance-bytes.json", seed: 1, size: 1_337, mimeType: "application/json" },
  stream: {
    fileName: "conformance-stream.bin",
    seed: 2,
    size: 3 * 1024 * 1024 + 7,
    mimeType: "application/octet-stream",
  },
  blob: { fileName: "conformance-blob.bin", seed: 3, size: 100_003, mimeType: "application/octet-stream" },
  sealed: { fileName: "conformance-sealed.txt", seed: 4, size: 4_096, mimeType: "text/plain" },
  refreshed: {
    fileName: "conformance-refreshed.bin",
    seed: 5,
    size: 65_536,
    mimeType: "application/octet-stream",
  },
  // Sent as a stream while the token has expired: where the stream is sent as it flows, the refresh
  // finds it spent (ResealRequiredError, never delivered); where it was collected into a Blob
  // (browsers), it is sent again and delivered once.
  resealed: {
    fileName: "conformance-resealed.bin",
    seed: 6,
    size: 100_000,
    mimeType: "application/octet-stream",
  },
} as const;

export type WriteCase = (typeof WRITES)[keyof typeof WRITES];

/** Chunk sizes a stream is cut into, deliberately not multiples of 16 (the AES block size). */
const CHUNKS = [65_537, 1, 15, 16, 17, 4_099, 131_071, 3];

/** A xorshift32 byte source: fast, and identical on every runtime. */
function byteSource(seed: number) {
  let x = (seed * 2_654_435_761) >>> 0 || 1;
  return (out: Uint8Array) => {
    for (let i = 0; i < out.length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  };
}

/** The whole content for a seed. */
export function patternBytes(seed: number, size: number): Uint8Array<ArrayBuffer> {
  return byteSource(seed)(new Uint8Array(size)) as Uint8Array<ArrayBuffer>;
}

/** The same content as `patternBytes`, produced lazily in uneven chunks. */
export function patternStream(seed: number, size: number): ReadableStream<Uint8Array<ArrayBuffer>> {
  const next = byteSource(seed);
  let sent = 0;
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) {
        controller.close();
        return;
      }
      const n = Math.min(CHUNKS[i++ % CHUNKS.length] ?? 1024, size - sent);
      sent += n;
      controller.enqueue(next(new Uint8Array(n)) as Uint8Array<ArrayBuffer>);
    },
  });
}

/**
 * The files the suite pushes into the library (`pushData`, type `library`). Each descriptor's
 * `reference` names its case, so the host finds the requests of each case among those it saw.
 */
export const PUSHES = {
  bytes: { reference: "conformance-push-bytes", seed: 21, size: 1_337, mimeType: "application/json" },
  stream: {
    reference: "conformance-push-stream",
    seed: 22,
    size: 3 * 1024 * 1024 + 7,
    mimeType: "application/octet-stream",
  },
  blob: { reference: "conformance-push-blob", seed: 23, size: 100_003, mimeType: "application/octet-stream" },
  // Pushed as bytes while the access token has expired: 401 InvalidToken, a refresh, the same bytes again.
  refreshed: {
    reference: "conformance-push-refreshed",
    seed: 24,
    size: 65_536,
    mimeType: "application/octet-stream",
  },
  // Pushed as a stream while the access token has expired: where it is sent as it flows, it is spent
  // by the 401 (DataRequiredError, never sent again); where it was gathered into a Blob (browsers),
  // it is sent again and delivered once.
  spent: {
    reference: "conformance-push-spent",
    seed: 25,
    size: 100_000,
    mimeType: "application/octet-stream",
  },
} as const;

/** One of {@link PUSHES}. */
export type PushCase = (typeof PUSHES)[keyof typeof PUSHES];

/** The descriptor a push case is sent with (signed into its `FileDescriptor` header). */
export const pushDescriptor = (c: PushCase) => ({
  mimeType: c.mimeType,
  accounts: [{ accountId: "conformance" }],
  reference: [c.reference],
  tags: ["conformance"],
});

/** The FHIR resource the suite pushes to the user's PUSH account, once per FHIR version. */
export const FHIR_BUNDLE = {
  resourceType: "Bundle",
  type: "collection",
  entry: [
    {
      resource: {
        resourceType: "Observation",
        status: "final",
        code: { text: "conformance – heart rate" },
        valueQuantity: { value: 61, unit: "beats/min" },
      },
    },
  ],
} as const;

/** The FHIR versions pushed, as the path names them. */
export const FHIR_VERSIONS = ["stu3", "3.0.2"] as const;
