import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { createEmulator, type Emulator, type EmulatorOptions } from "./app.ts";
import { PATHS } from "./context.ts";
import {
  type ContractInput,
  createDevContract,
  type DevContract,
  type DevContractOptions,
  loadContractsFile,
} from "./contracts.ts";

/** How long `close()` waits for the handlers of requests in progress before closing the store. */
const CLOSE_GRACE_MS = 10_000;

/** Options of {@link startEmulator}: those of `createEmulator` plus where to listen. */
export interface StartEmulatorOptions extends EmulatorOptions {
  /** Port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on (default `127.0.0.1`). */
  host?: string;
  /** Register the dev contract of `dataDir` (see `createDevContract`); needs `dataDir`. */
  devContract?: boolean | DevContractOptions;
  /** A JSON file of contracts to register (see `loadContractsFile`). */
  contractsFile?: string;
}

/** A running emulator and its URLs (all end as the wire format wants: `baseUrl` and `onboardUrl` with `/`). */
export interface RunningEmulator extends Emulator {
  /** Origin, e.g. `http://127.0.0.1:54321`. */
  url: string;
  /** API root, `{url}/v1.7/`. */
  baseUrl: string;
  /** Web onboarding root, `{url}/apps/saas/`. */
  onboardUrl: string;
  /** The key set response tokens name in `jku`. */
  keySetUrl: string;
  libraryUrl: string;
  adminUrl: string;
  port: number;
  host: string;
  /** The dev contract, when `devContract` was asked for. */
  devContract: DevContract | undefined;
  /** The Node HTTP server. */
  server: Server;
  /**
   * Requests whose handler has not settled yet: 0 once every request that reached the emulator
   * has got its response or has failed (what a test waits for before counting what was stored).
   */
  readonly requestsInProgress: number;
  /**
   * Stops listening, ends open connections, waits for the handlers of requests in progress to finish
   * or fail (at most 10 s), then closes the store.
   */
  close(): Promise<void>;
}

/**
 * Starts the emulator on Node (`@hono/node-server`), by default on 127.0.0.1 and a free port, so
 * tests can start and stop it in-process.
 */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const { port = 0, host = "127.0.0.1", devContract: devOption, contractsFile, ...emulatorOptions } = options;
  let devContract: DevContract | undefined;
  if (devOption) {
    if (!options.dataDir || options.memory)
      throw new TypeError("devContract needs a dataDir (and not memory mode)");
    devContract = createDevContract(options.dataDir, devOption === true ? {} : devOption);
  }
  const contracts: ContractInput[] = [
    ...(options.contracts ?? []),
    ...(contractsFile ? loadContractsFile(contractsFile) : []),
    ...(devContract ? [devContract.contract] : []),
  ];
  const emulator = createEmulator({ ...emulatorOptions, contracts });
  // Requests whose handler has not settled yet: close() waits for them before closing the store.
  const inProgress = new Set<Promise<unknown>>();
  const server = createAdaptorServer({
    fetch: (...args: Parameters<typeof emulator.app.fetch>) => {
      const handling = Promise.resolve(emulator.app.fetch(...args));
      inProgress.add(handling);
      const done = () => inProgress.delete(handling);
      handling.then(done, done);
      return handling;
    },
    // Large uploads may take a while; the default would cut them at 5 minutes.
    serverOptions: { requestTimeout: 60 * 60_000 },
  }) as Server;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    emulator.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const shownHost =
    host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const url = `http://${shownHost}:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    ...emulator,
    url,
    baseUrl: `${url}${PATHS.api}`,
    onboardUrl: `${url}${PATHS.onboard}`,
    keySetUrl: `${url}${PATHS.keySet}`,
    libraryUrl: `${url}${PATHS.library}`,
    adminUrl: `${url}${PATHS.admin}`,
    port: address.port,
    host,
    devContract,
    server,
    get requestsInProgress() {
      return inProgress.size;
    },
    close() {
      closing ??= (async () => {
        try {
          const closed = new Promise<void>((resolve) => server.close(() => resolve()));
          server.closeAllConnections();
          await closed;
          // Cut off, requests in progress fail (or finish, if they no longer read their body); the
          // store stays open until their handlers have settled, within a bound.
          let bound: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([
            Promise.allSettled([...inProgress]),
            new Promise<void>((resolve) => {
              bound = setTimeout(resolve, CLOSE_GRACE_MS);
            }),
          ]);
          clearTimeout(bound);
        } finally {
          emulator.close();
        }
      })();
      return closing;
    },
  };
}
