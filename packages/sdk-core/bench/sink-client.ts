/**
 * The bench's sink (bench/sink.ts) seen from the client: started as its own process, and asked
 * what it saw of the request just made.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { children } from "./harness.ts";
import { BenchError, check, FILE_DESCRIPTOR } from "./lib.ts";
import type { SinkReport } from "./sink.ts";

/** The running sink: the API root it serves under, and its report of the last request. */
export interface Sink {
  url: string;
  last: () => Promise<SinkReport>;
}

export async function startSink(): Promise<Sink> {
  const child = fork(fileURLToPath(new URL("./sink.ts", import.meta.url)), [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  children.add(child);
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (m) => resolve((m as { port: number }).port));
    child.once("exit", (code) => reject(new BenchError(`the sink exited (${code}) before listening`)));
    child.once("error", reject);
  });
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/v1.7/`,
    last: async () => (await fetch(`${origin}/__bench/last`)).json() as Promise<SinkReport>,
  };
}

/** Checks the sink's report of the request just made. */
export async function checkDelivery(sink: Sink, what: string, mode: "drain" | "verify", plainSize: number) {
  const report = await sink.last();
  check(report !== null && report.mode === mode, `${what}: the sink saw no ${mode} request`);
  check(report.errors.length === 0, `${what}: the sink found: ${report.errors.join("; ")}`);
  const cipherSize = (Math.floor(plainSize / 16) + 1) * 16;
  check(
    report.fileBytes === cipherSize,
    `${what}: file part of ${report.fileBytes} bytes, expected ${cipherSize}`,
  );
  if (mode === "verify") {
    check(
      report.plainBytes === plainSize,
      `${what}: ${report.plainBytes} bytes decrypted, expected ${plainSize}`,
    );
    check(isDeepStrictEqual(report.metadata, FILE_DESCRIPTOR), `${what}: metadata differs`);
  }
  return report;
}
