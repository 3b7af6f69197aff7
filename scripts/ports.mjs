// @ts-check
// Free TCP ports for the demo's servers.
import { createServer } from "node:net";
import { HOST } from "./demo-paths.mjs";

/**
 * Returns whether a TCP port is free on `host`.
 *
 * @param {number} port - The port to try.
 * @param {string} [host] - The interface (default 127.0.0.1).
 * @returns {Promise<boolean>} True when something could listen there.
 */
export function isPortFree(port, host = HOST) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * Picks a port: `preferred` when it is free, else one the system hands out.
 *
 * @param {number} [preferred] - The port wanted; 0 for any free one.
 * @param {string} [host] - The interface (default 127.0.0.1).
 * @returns {Promise<number>} A port that was free a moment ago.
 */
export async function pickPort(preferred = 0, host = HOST) {
  if (preferred > 0 && (await isPortFree(preferred, host))) return preferred;
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}
