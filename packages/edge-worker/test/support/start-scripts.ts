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
