/**
 * The live memory of a Worker's isolate, read through its DevTools inspector (`wrangler dev
 * --inspector-port`, Chrome DevTools Protocol): after a full garbage collection, V8's used heap
 * plus the backing stores of its ArrayBuffers (`Runtime.getHeapUsage`), which is where a request
 * body's bytes live once JavaScript holds them. workerd does not respond to
 * `HeapProfiler.collectGarbage`; a heap snapshot (`HeapProfiler.takeHeapSnapshot`, its chunks
 * dropped) collects first, so the reading is of what is alive.
 * Only the Worker's isolate counts: not workerd's own buffers, nor the local R2 and Durable Object
 * emulation that `wrangler dev` runs in the same process.
 */

/** A DevTools session on the Worker's isolate. */
export interface IsolateHeap {
  /** Bytes the isolate holds live: used heap and ArrayBuffer backing stores, after a full GC. */
  live(): Promise<number>;
  /** Evaluates `expression` in the isolate (for a control that holds bytes there). */
  evaluate(expression: string): Promise<void>;
  /** Ends the session. */
  close(): void;
}

/** Longest wait for the inspector's answer (a lost answer fails the call, not the test run). */
const ANSWER_TIMEOUT_MS = 30_000;

interface HeapUsage {
  usedSize: number;
  totalSize: number;
  backingStorageSize?: number;
}

/**
 * Connects to the Worker's isolate at the inspector on `port` (the first target it lists).
 *
 * @param port - The inspector's port on 127.0.0.1.
 */
export async function connectIsolateHeap(port: number): Promise<IsolateHeap> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`the inspector on port ${port} lists no isolate`);
  // wrangler's inspector proxy takes DevTools connections from local origins only (Node's
  // WebSocket, undici's, takes headers as its second argument).
  const init = { headers: { Origin: "http://localhost" } } as unknown as string[];
  const ws = new WebSocket(url, init);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error(`cannot connect to ${url}`)), { once: true });
  });
  let lastId = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let context: (id: number) => void = () => {};
  const contextId = new Promise<number>((resolve) => {
    context = resolve;
  });
  ws.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as {
      id?: number;
      method?: string;
      params?: { context?: { id: number } };
      result?: unknown;
      error?: { message: string };
    };
    if (message.method === "Runtime.executionContextCreated" && message.params?.context)
      context(message.params.context.id);
    // Only answers settle a call (wrangler's proxy echoes some requests back with their id).
    const waiter = message.id === undefined || message.method ? undefined : pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id as number);
    if (message.error) waiter.reject(new Error(message.error.message));
    else waiter.resolve(message.result);
  });
  /** Sends a call; returns its id. */
  const post = (method: string, params: Record<string, unknown> = {}) => {
    const id = ++lastId;
    ws.send(JSON.stringify({ id, method, params }));
    return id;
  };
  /** Sends a call and waits for its answer, at most {@link ANSWER_TIMEOUT_MS}. */
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = lastId + 1;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`the inspector did not answer ${method}`));
      }, ANSWER_TIMEOUT_MS);
      const settle = (then: () => void) => {
        clearTimeout(timer);
        then();
      };
      pending.set(id, {
        resolve: (value) => settle(() => resolve(value)),
        reject: (error) => settle(() => reject(error)),
      });
      post(method, params);
    });
  await send("Runtime.enable");
  return {
    async live() {
      // The snapshot's own answer never comes through wrangler's proxy; the isolate takes inspector
      // messages in order, so the usage after it is read once the snapshot (and its GC) is done.
      post("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
      const usage = (await send("Runtime.getHeapUsage")) as HeapUsage;
      if (usage.backingStorageSize === undefined)
        throw new Error("the inspector does not report ArrayBuffer backing stores (backingStorageSize)");
      return usage.usedSize + usage.backingStorageSize;
    },
    async evaluate(expression) {
      const answer = (await send("Runtime.evaluate", { expression, contextId: await contextId })) as {
        exceptionDetails?: unknown;
      };
      if (answer.exceptionDetails)
        throw new Error(`evaluating failed: ${JSON.stringify(answer.exceptionDetails)}`);
    },
    close: () => ws.close(),
  };
}
