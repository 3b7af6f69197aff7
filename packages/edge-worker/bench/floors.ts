/**
 * The floors the bench measures in the same run as the Worker: Workers written here, a few lines
 * each, that do the least any Worker in our place must do and nothing of ours, run as the Worker
 * is (workerd through Miniflare, `dispatchFetch`, the same compatibility date). sdk-core's direct
 * writes go through them (`init({ fetch })` with a fetch that sends through the floor), so each
 * upload is the direct one (signed in Node) plus one workerd hop, verified at the emulator.
 *
 * - `forwarder`: passes the request it gets (method, headers, body stream untouched) to the
 *   emulator with `fetch` and returns the answer: no JavaScript per chunk. Table 1's floor for any
 *   Worker on this machine (direct/forwarder is the hop's own cost), and table 2's "pipe" floor.
 * - `reader`: reads the body in JavaScript as the Worker does (a BYOB reader, `readAtLeast` of at
 *   least 256 KiB into fresh buffers of up to 1 MiB sized by what the reads bring, as
 *   `src/lib/body-chunks.ts` does under the stall limit) and writes the chunks into a
 *   `FixedLengthStream` of the declared length (the exact-length check) that is the body of the
 *   same request to the emulator. Table 2's floor of reading a body in JavaScript at all.
 */
import type { RunningEmulator } from "@digime-edge/emulator";
import type { DirectClient } from "./clients.ts";
import { startScriptWorker, type WorkerHost } from "./hosts.ts";
import { MODES, type Mode } from "./modes.ts";
import type { ProfileContender } from "./profiles.ts";

/** The forwarder: the request as it came, to the emulator's origin. */
const FORWARDER = `export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.ORIGIN + url.pathname + url.search, {
      method: request.method, headers: request.headers, body: request.body, redirect: "manual",
    });
  },
};`;

/** The reader: the body read in JavaScript as the Worker reads it, and written on at its length. */
const READER = `const SIZE = 1024 * 1024;
const AT_LEAST = 256 * 1024;
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const to = env.ORIGIN + url.pathname + url.search;
    const init = { method: request.method, headers: request.headers, redirect: "manual" };
    if (!request.body) return fetch(to, init);
    const length = Number(request.headers.get("content-length") ?? Number.NaN);
    if (!Number.isSafeInteger(length)) return new Response("no length", { status: 411 });
    const { readable, writable } = new FixedLengthStream(length);
    const sent = fetch(to, { ...init, body: readable });
    const pump = async () => {
      const reader = request.body.getReader({ mode: "byob" });
      const writer = writable.getWriter();
      let viewBytes = SIZE;
      for (;;) {
        const view = new Uint8Array(viewBytes);
        const { value, done } = await reader.readAtLeast(AT_LEAST, view);
        const got = value?.byteLength ?? 0;
        viewBytes = got === view.byteLength ? Math.min(SIZE, got * 2) : Math.max(AT_LEAST, got);
        if (got > 0) await writer.write(value);
        if (done) break;
      }
      await writer.close();
    };
    const [response] = await Promise.all([sent, pump()]);
    return response;
  },
};`;

/** The floor Workers, running. */
export interface FloorHosts {
  forwarder: WorkerHost;
  reader: WorkerHost;
}

/** Starts the floor Workers, both forwarding to `emulator`. */
export async function startFloors(emulator: RunningEmulator): Promise<FloorHosts> {
  const vars = { ORIGIN: new URL(emulator.baseUrl).origin };
  const forwarder = await startScriptWorker("forwarder", FORWARDER, vars);
  try {
    return { forwarder, reader: await startScriptWorker("reader", READER, vars) };
  } catch (error) {
    await forwarder.stop();
    throw error;
  }
}

/**
 * A fetch for sdk-core that sends each request through `host` (`dispatchFetch`): the URL's path
 * and query on the floor's origin, everything else as sdk-core made it.
 */
export function fetchThrough(host: WorkerHost): typeof fetch {
  return (input, init) => {
    if (input instanceof Request) throw new Error("fetchThrough: sdk-core passes a URL");
    const url = new URL(input);
    return host.fetch(`http://${host.label}.floor${url.pathname}${url.search}`, init);
  };
}

/** The direct clients whose requests go through each floor (one write API's contract). */
export interface FloorClients {
  forwarder: DirectClient;
  reader: DirectClient;
}

/** Table 2's floor rows: their names, and what each measures. */
export const FLOORS = {
  /** The reader's isolate: the body read in JavaScript as the Worker reads it. */
  read: { name: "floor-read", what: "the floor of reading a body in JavaScript" },
  /** The forwarder's isolate: the body passed to `fetch` untouched. */
  pipe: { name: "floor-pipe", what: "the body piped to fetch untouched" },
} as const;

/**
 * Table 2's floors as profile contenders ({@link FLOORS}): the isolates of the reader and of the
 * forwarder, each upload the direct `pushData` of the import mode (signed in Node) sent through the
 * floor and verified at the emulator, profiled in turn with the Worker's modes.
 */
export function floorContenders(floors: FloorHosts, clients: FloorClients): ProfileContender[] {
  const push = MODES.find((m) => m.name === "import") as Mode;
  return [
    { name: FLOORS.read.name, host: floors.reader, prepare: (data) => push.direct(data, clients.reader) },
    {
      name: FLOORS.pipe.name,
      host: floors.forwarder,
      prepare: (data) => push.direct(data, clients.forwarder),
    },
  ];
}
