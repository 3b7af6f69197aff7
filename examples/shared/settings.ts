/**
 * The settings every example script reads, the same in Node, Deno and Bun: the runtime passes how
 * it reads the environment and a file. The defaults are the emulator's dev contract
 * (`packages/emulator/.data`, made by `./dev start` or the emulator's CLI).
 *
 *   DIGIME_BASE_URL, DIGIME_ONBOARD_URL, DIGIME_APPLICATION_ID, DIGIME_CONTRACT_ID,
 *   DIGIME_PRIVATE_KEY (PEM) or DIGIME_PRIVATE_KEY_FILE, DIGIME_REDIRECT_URI
 */

/** What a script needs to talk to digi.me (or the emulator) as the contract. */
export interface ExampleSettings {
  /** For sdk-core's `init`. */
  config: { applicationId: string; baseUrl: string; onboardUrl: string };
  /** The contract's id. */
  contractId: string;
  /** The contract's private key (PEM). A secret: keep it server-side. */
  privateKey: string;
  /** Where digi.me sends the user back (the contract's redirect URI). */
  redirectUri: string;
}

/** The runtime a script runs on, named in what it sends (tags, the receipt). */
export interface ExampleRuntime {
  /** `node`, `deno` or `bun`. */
  name: string;
  /** The runtime and its version, e.g. `deno 2.5.0`. */
  version: string;
}

const EMULATOR = "http://127.0.0.1:8788";
const DEV_KEY_FILE = new URL("../../packages/emulator/.data/dev-contract.key.pem", import.meta.url);

/**
 * Reads the settings.
 *
 * @param env - Reads one environment variable.
 * @param readText - Reads a text file (the private key's).
 * @returns The settings, each from the environment or its default.
 */
export async function exampleSettings(
  env: (name: string) => string | undefined,
  readText: (file: string | URL) => Promise<string>,
): Promise<ExampleSettings> {
  return {
    config: {
      applicationId: env("DIGIME_APPLICATION_ID") ?? "dev-app",
      baseUrl: env("DIGIME_BASE_URL") ?? `${EMULATOR}/v1.7/`,
      onboardUrl: env("DIGIME_ONBOARD_URL") ?? `${EMULATOR}/apps/saas/`,
    },
    contractId: env("DIGIME_CONTRACT_ID") ?? "dev-write-contract",
    privateKey: env("DIGIME_PRIVATE_KEY") ?? (await readText(env("DIGIME_PRIVATE_KEY_FILE") ?? DEV_KEY_FILE)),
    redirectUri: env("DIGIME_REDIRECT_URI") ?? "http://127.0.0.1:8787/auth/callback",
  };
}

/**
 * The file to send: the first argument (after a `--` that `pnpm start -- file` passes along), or
 * the example's README.
 *
 * @param args - The script's arguments.
 * @param exampleDir - The example's folder (`new URL(".", import.meta.url)`).
 * @returns A file path.
 */
export function fileArgument(args: string[], exampleDir: URL): string {
  const [first] = args.filter((arg, i) => !(i === 0 && arg === "--"));
  return first ?? decodeURIComponent(new URL("README.md", exampleDir).pathname);
}
