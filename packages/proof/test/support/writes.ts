/**
 * One caller of sdk-core writing files under faults, and the invariant every write is checked
 * against: either `delivered` and the library holds exactly those bytes, or a typed error that
 * matches what happened on the wire; never `delivered` for a file the library does not hold.
 */
import { Readable } from "node:stream";
import {
  type ContractDetails,
  type DigiMeSDK,
  DigiMeSDKError,
  type FileData,
  NetworkError,
  ResealRequiredError,
  ServerError,
  type UserAccessToken,
} from "@digime-edge/sdk-core";
import { expect } from "vitest";
import { type EmulatorHarness, type Onboarded, sha256 } from "./emulator.ts";
import { type Attempt, isToken, isWrite, type RecordingFetch } from "./recording-fetch.ts";

export const INPUT_KINDS = ["bytes", "arraybuffer", "blob", "stream", "iterable"] as const;
export type InputKind = (typeof INPUT_KINDS)[number];

/** Statuses sdk-core sends again by itself, and marks `retryable`. */
export const RETRYABLE_STATUSES = [429, 502, 503, 504];

const CHUNK = 64 * 1024;

/** `bytes` as the given kind of `fileData`; `delayMs` paces a stream or iterable, chunk by chunk. */
export function fileDataOf(kind: InputKind, bytes: Uint8Array, delayMs = 0): FileData {
  const copy = new Uint8Array(bytes);
  const chunks = () => {
    const out: Uint8Array[] = [];
    for (let at = 0; at < copy.length; at += CHUNK) out.push(copy.slice(at, at + CHUNK));
    return out;
  };
  const pause = () => (delayMs > 0 ? new Promise((r) => setTimeout(r, delayMs)) : undefined);
  switch (kind) {
    case "bytes":
      return copy;
    case "arraybuffer":
      return copy.buffer;
    case "blob":
      return new Blob([copy]);
    case "stream": {
      const queue = chunks();
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          await pause();
          const next = queue.shift();
          if (next) controller.enqueue(next);
          else controller.close();
        },
      });
    }
    case "iterable":
      return Readable.from(
        (async function* () {
          for (const chunk of chunks()) {
            await pause();
            yield chunk;
          }
        })(),
      );
  }
}

/** One write and what became of it. */
export interface WriteRecord {
  label: string;
  fileName: string;
  sha256: string;
  size: number;
  kind: InputKind;
  outcome: "delivered" | "pending" | "error";
  error?: unknown;
  /** Every request sdk-core sent for this write (writes, refreshes, key sets). */
  attempts: Attempt[];
}

export const descriptorOf = (fileName: string) => ({
  mimeType: "application/octet-stream",
  accounts: [{ accountId: "proof" }],
  tags: [fileName],
});

/** A caller of sdk-core that keeps the latest token it was given: by a result or by an error. */
export class Caller {
  token: UserAccessToken;
  readonly records: WriteRecord[] = [];

  constructor(
    readonly sdk: DigiMeSDK,
    readonly recorder: RecordingFetch,
    readonly harness: EmulatorHarness,
    readonly box: Onboarded,
    readonly contractDetails: ContractDetails,
    readonly hooks: { onTokenRefreshed?: (token: UserAccessToken) => void } = {},
  ) {
    this.token = box.token;
  }

  /** Writes `bytes` as `kind`; checks the outcome against the wire at once (see {@link expectExplained}). */
  async write(label: string, kind: InputKind, bytes: Uint8Array, delayMs = 0): Promise<WriteRecord> {
    const fileName = `${label}-${kind}.bin`;
    const from = this.recorder.attempts.length;
    const record: WriteRecord = {
      label,
      fileName,
      sha256: sha256(bytes),
      size: bytes.length,
      kind,
      outcome: "error",
      attempts: [],
    };
    try {
      const result = await this.sdk.write({
        contractDetails: this.contractDetails,
        userAccessToken: this.token,
        postboxId: this.box.postboxId,
        publicKey: this.box.publicKey,
        data: {
          fileData: fileDataOf(kind, bytes, delayMs),
          fileName,
          fileDescriptor: descriptorOf(fileName),
        },
        ...(this.hooks.onTokenRefreshed && { onTokenRefreshed: this.hooks.onTokenRefreshed }),
      });
      this.token = result.userAccessToken;
      record.outcome = result.status;
    } catch (error) {
      record.error = error;
      const carried = (error as { userAccessToken?: UserAccessToken }).userAccessToken;
      if (carried !== undefined) this.token = carried;
    }
    record.attempts = this.recorder.attempts.slice(from);
    this.records.push(record);
    expectExplained(record);
    if (record.outcome === "delivered")
      expectStored(this.harness, this.box.postboxId, record, { atLeast: 1 });
    return record;
  }

  /** The latest token works: a refresh returns a new pair, and a write with it is delivered. */
  async expectTokenWorks(label: string): Promise<void> {
    this.token = await this.sdk.refreshToken({
      contractDetails: this.contractDetails,
      userAccessToken: this.token,
    });
    const check = await this.write(`${label}-token-check`, "bytes", new TextEncoder().encode(label));
    expect(check.outcome, `${label}: a write with the refreshed token`).toBe("delivered");
    expectCopies(this.harness, this.box.postboxId, check);
  }
}

/**
 * The outcome says what happened: `delivered` only when a write attempt got `delivered`,
 * and an error's class, code, status and `retryable` match the last request on the wire.
 */
export function expectExplained(record: WriteRecord): void {
  const { label, outcome, error, attempts } = record;
  const writes = attempts.filter(isWrite);
  const answeredDelivered = writes.filter((a) => a.outcome === "answered" && a.writeStatus === "delivered");
  if (outcome === "delivered") {
    expect(answeredDelivered, `${label}: delivered needs an answer saying so`).toHaveLength(1);
    return;
  }
  // Not delivered, yet an attempt got `delivered`: the caller would send it again.
  expect(answeredDelivered, `${label}: an attempt was delivered but the write reported ${outcome}`).toEqual(
    [],
  );
  if (outcome === "pending") return;
  expect(error, `${label}: errors are the SDK's`).toBeInstanceOf(DigiMeSDKError);
  const e = error as DigiMeSDKError;
  expect(typeof e.code === "string" && e.code.length > 0, `${label}: a code`).toBe(true);
  expect(e.message.length, `${label}: a message`).toBeGreaterThan(0);
  const last = attempts.at(-1);
  expect(last, `${label}: an error after at least one request`).toBeDefined();
  if (!last) return;
  if (e instanceof ResealRequiredError) {
    expect(isToken(last) && last.status === 200, `${label}: reseal after a refresh`).toBe(true);
    expect(e.userAccessToken.refreshToken.value).not.toBe("");
  } else if (e instanceof NetworkError) {
    expect(["NETWORK", "TIMEOUT"], `${label}: ${e.code}`).toContain(e.code);
    expect(e.retryable, `${label}: a network failure may be retried`).toBe(true);
    expect(last.outcome, `${label}: NetworkError means no answer`).toBe("no-answer");
  } else if (e instanceof ServerError) {
    expect(last.outcome, `${label}: ServerError means an answer`).toBe("answered");
    expect(e.status, `${label}: the status answered`).toBe(last.status);
    expect(e.retryable, `${label}: retryable for ${e.status}`).toBe(RETRYABLE_STATUSES.includes(e.status));
  } else {
    expect.fail(`${label}: unexpected ${e.name} ${e.code}: ${e.message}`);
  }
}

/** Every copy in the library holds exactly the written bytes and descriptor; `atLeast` copies. */
export function expectStored(
  harness: EmulatorHarness,
  postboxId: string,
  record: WriteRecord,
  { atLeast = 0, atMost = Number.POSITIVE_INFINITY } = {},
) {
  const copies = harness.copies(postboxId, record.fileName);
  for (const copy of copies) {
    expect(copy, `${record.label}: the stored bytes`).toMatchObject({
      size: record.size,
      sha256: record.sha256,
    });
    expect(copy.metadata).toEqual(descriptorOf(record.fileName));
  }
  expect(copies.length, `${record.label}: copies`).toBeGreaterThanOrEqual(atLeast);
  expect(copies.length, `${record.label}: copies`).toBeLessThanOrEqual(atMost);
  return copies.length;
}

/**
 * The copies the wire allows: at least the attempts that got `delivered` (0 or 1), at most those
 * plus the attempts that got no answer (each may have been stored: the protocol cannot tell).
 * Returns the number of copies.
 */
export function expectCopies(harness: EmulatorHarness, postboxId: string, record: WriteRecord): number {
  const writes = record.attempts.filter(isWrite);
  const delivered = writes.filter((a) => a.outcome === "answered" && a.writeStatus === "delivered").length;
  const unknown = writes.filter((a) => a.outcome !== "answered").length;
  return expectStored(harness, postboxId, record, { atLeast: delivered, atMost: delivered + unknown });
}
