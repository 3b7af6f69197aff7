/** The switchable proxy in front of digi.me (see `test/global-setup.ts`): outages and scripted faults. */
import { testEnv } from "./test-env.ts";

/** Cuts digi.me off (every connection to it fails) or brings it back. */
export async function digime(mode: "down" | "up"): Promise<void> {
  await fetch(`${testEnv.TEST_PROXY_CONTROL_URL}/${mode}`, { method: "POST" });
}

/**
 * One step the proxy in front of digi.me plays on the next request to `route` (see
 * `test/global-setup.ts`): `expire` expires access tokens at the emulator just before the request
 * goes on; `lose-answer` lets the emulator do the work and respond, then cuts the connection (the
 * write or refresh happened, the Worker never hears of it); `pass` lets one request by.
 */
export interface ProxyStep {
  route: "postbox" | "token" | "import" | "fhir";
  action: "expire" | "lose-answer" | "pass";
  filter?: Record<string, string>;
}

/** The proxy's script: append steps, clear it, or read what is left and what was played. */
export const proxyScript = {
  async add(...steps: ProxyStep[]): Promise<void> {
    await fetch(`${testEnv.TEST_PROXY_CONTROL_URL}/script`, { method: "POST", body: JSON.stringify(steps) });
  },
  async clear(): Promise<void> {
    await fetch(`${testEnv.TEST_PROXY_CONTROL_URL}/script`, { method: "DELETE" });
  },
  async state(): Promise<{ pending: ProxyStep[]; applied: ProxyStep[] }> {
    const response = await fetch(`${testEnv.TEST_PROXY_CONTROL_URL}/script`);
    return response.json() as Promise<{ pending: ProxyStep[]; applied: ProxyStep[] }>;
  },
};
