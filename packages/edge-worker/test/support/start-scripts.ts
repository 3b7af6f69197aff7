/**
 * The functions of `scripts/start.mjs` (what `pnpm start` runs) that Node tests and the bench use
 * to start the emulator and the Worker under `wrangler dev`, typed: this project's tsconfig does
 * not type-check `.mjs` files.
 */

/** A Worker started by `startWorker`. */
export interface RunningWorker {
  /** Its origin, `http://127.0.0.1:<port>`. */
  url: string;
  /** The process group's id. */
  pid: number;
  /** Stops it and waits until it exited. */
  stop(): Promise<void>;
}

/** The functions of `scripts/start.mjs` used here. */
export interface StartScripts {
  pickPort(preferred?: number): Promise<number>;
  startDemoEmulator(options: {
    dataDir: string;
    autoApprove: boolean;
    redirectUri: string;
  }): Promise<{ url: string; close(): Promise<void>; devContract?: unknown }>;
  workerSettings(options: { emulator: unknown; workerUrl: string }): Record<string, string>;
  writeWorkerSettings(file: string, settings: Record<string, string>): Promise<void>;
  startWorker(options: {
    port: number;
    settingsFile: string;
    persistTo: string;
    inspectorPort?: number;
  }): Promise<RunningWorker>;
  waitForWorker(worker: RunningWorker, options: { withAssets: boolean }): Promise<void>;
}

/** Loads `scripts/start.mjs`. */
export async function loadStartScripts(): Promise<StartScripts> {
  return (await import(new URL("../../../../scripts/start.mjs", import.meta.url).href)) as StartScripts;
}

/** The emulator and a Worker under `wrangler dev`, started by {@link startWorkerStack}. */
export interface WorkerStack {
  /** The Worker's origin. */
  workerUrl: string;
  /** The Worker's port. */
  port: number;
  /** The emulator's origin. */
  emulatorUrl: string;
  /** Where `wrangler dev` keeps the Durable Objects' and R2's local state. */
  persistTo: string;
  /** The Worker's process. */
  worker: RunningWorker;
  /** The Worker's inspector port, when asked for. */
  inspectorPort?: number;
  /** Stops the Worker, then the emulator. */
  stop(): Promise<void>;
}

/**
 * Starts the emulator (approving sign-ins by itself) and the Worker on free ports, their state and
 * settings under `base`, as `pnpm start` does; stops what started when a later step fails.
 *
 * @param base - A temporary folder, removed by the caller.
 * @param options - `inspector`: open the Worker's inspector on a free port (for its isolate's memory).
 */
export async function startWorkerStack(
  base: string,
  options: { inspector?: boolean } = {},
): Promise<WorkerStack> {
  const scripts = await loadStartScripts();
  const port = await scripts.pickPort(0);
  const workerUrl = `http://127.0.0.1:${port}`;
  const emulator = await scripts.startDemoEmulator({
    dataDir: `${base}/emulator`,
    autoApprove: true,
    redirectUri: `${workerUrl}/auth/callback`,
  });
  const persistTo = `${base}/state`;
  let worker: RunningWorker | undefined;
  let inspectorPort: number | undefined;
  try {
    const settingsFile = `${base}/.dev.vars`;
    await scripts.writeWorkerSettings(settingsFile, scripts.workerSettings({ emulator, workerUrl }));
    inspectorPort = options.inspector ? await scripts.pickPort(0) : undefined;
    worker = await scripts.startWorker({ port, settingsFile, persistTo, inspectorPort });
    await scripts.waitForWorker(worker, { withAssets: false });
  } catch (error) {
    await worker?.stop();
    await emulator.close();
    throw error;
  }
  const running = worker;
  return {
    inspectorPort,
    workerUrl,
    port,
    emulatorUrl: emulator.url,
    persistTo,
    worker: running,
    stop: async () => {
      await running.stop();
      await emulator.close();
    },
  };
}
