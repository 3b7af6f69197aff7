#!/usr/bin/env node
import { realpathSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { clockFrom, parseClockStart } from "./clock.ts";
import { KEY_SET_FORMATS } from "./context.ts";
import { WRITE_APIS, type WriteApi } from "./contracts.ts";
import { type RunningEmulator, startEmulator } from "./server.ts";

/** Whether `format` is one of {@link KEY_SET_FORMATS}. */
const isKeySetFormat = (format: string): format is (typeof KEY_SET_FORMATS)[number] =>
  (KEY_SET_FORMATS as readonly string[]).includes(format);

/** The package's own `.data` folder (ignored by git): the CLI's default data folder. */
export const DEFAULT_DATA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", ".data");
/** The CLI's default port. */
export const DEFAULT_PORT = 8089;

const HELP = `digime-emulator: a local digi.me (write API, key set, consent page, library, faults)

Usage: digime-emulator [options]

  --port <n>               port (default ${DEFAULT_PORT}; 0 picks a free one)
  --host <addr>            interface (default 127.0.0.1)
  --data <dir>             data folder (default packages/emulator/.data)
  --memory                 keep nothing: in-memory database, temporary files
  --auto-approve           give consent without showing the page
  --access-token-ttl <d>   access token lifetime, e.g. 90s, 15m, 1h (default 1h; a bare number is seconds)
  --refresh-token-ttl <d>  refresh token lifetime (default 30d)
  --timestamp-window <d>   accepted request timestamp skew (default 5m)
  --contracts <file>       JSON file of contracts to register
  --no-dev-contract        do not create/register the dev contract of the data folder
  --redirect-uri <url>     the dev contract's redirect URI (kept in the data folder)
  --write-api <api>        the dev contract's write API: postbox (official SDK <= 8) or import
                           (pushData, SDK >= 9); kept in the data folder. Default: the stored one,
                           else $DIGIME_EMULATOR_WRITE_API, else postbox
  --clock <time>           start the clock at this time (ms since the epoch or an ISO date) and
                           run it from there, e.g. to replay recorded requests
  --public-url <url>       origin to put in jku and links (default: the one each request used)
  --key-set-format <f>     pem (digi.me's, default), jwk or both
  --seed <n>               seed of the fault generator
  --json                   print the URLs as one JSON line instead of text
  -h, --help               this help
`;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration (`500ms`, `90s`, `15m`, `1h`, `30d`; a bare number is seconds) into ms. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match?.[1]) throw new TypeError(`Not a duration: ${value} (try 90s, 15m, 1h)`);
  const ms = Number(match[1]) * (UNITS[match[2] ?? "s"] ?? 1000);
  if (!(ms > 0)) throw new TypeError(`A duration must be positive: ${value}`);
  return Math.round(ms);
}

/** What the command line asks for. */
export interface CliOptions {
  help: boolean;
  json: boolean;
  port: number;
  host: string;
  dataDir: string;
  memory: boolean;
  autoApprove: boolean;
  devContract: boolean;
  redirectUri?: string;
  /** The dev contract's write API, when asked for (flag, else `DIGIME_EMULATOR_WRITE_API`). */
  writeApi?: WriteApi;
  /** Where the clock starts (ms since the epoch), when asked for. */
  clockStart?: number;
  contractsFile?: string;
  accessTokenTtlMs?: number;
  refreshTokenTtlMs?: number;
  timestampWindowMs?: number;
  publicUrl?: string;
  keySetFormat?: (typeof KEY_SET_FORMATS)[number];
  faultSeed?: number;
}

/**
 * Parses the command line (without `node` and the script); `env` gives `DIGIME_EMULATOR_WRITE_API`.
 * @throws {TypeError} on an unknown option or a bad value.
 */
export function parseCliArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  const { values } = parseArgs({
    // `pnpm start -- --port 1` passes the `--` through.
    args: argv[0] === "--" ? argv.slice(1) : argv,
    strict: true,
    allowNegative: true,
    options: {
      help: { type: "boolean", short: "h", default: false },
      json: { type: "boolean", default: false },
      port: { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      data: { type: "string" },
      memory: { type: "boolean", default: false },
      "auto-approve": { type: "boolean", default: false },
      "dev-contract": { type: "boolean", default: true },
      "redirect-uri": { type: "string" },
      "write-api": { type: "string" },
      clock: { type: "string" },
      contracts: { type: "string" },
      "access-token-ttl": { type: "string" },
      "refresh-token-ttl": { type: "string" },
      "timestamp-window": { type: "string" },
      "public-url": { type: "string" },
      "key-set-format": { type: "string" },
      seed: { type: "string" },
    },
  });
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`Not a port: ${values.port}`);
  const format = values["key-set-format"];
  if (format !== undefined && !isKeySetFormat(format)) {
    throw new TypeError(`--key-set-format is pem, jwk or both, not ${format}`);
  }
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isInteger(seed))
    throw new TypeError(`Not an integer seed: ${values.seed}`);
  const writeApi = values["write-api"] ?? (env.DIGIME_EMULATOR_WRITE_API || undefined);
  if (writeApi !== undefined && !(WRITE_APIS as readonly string[]).includes(writeApi)) {
    throw new TypeError(`--write-api (or DIGIME_EMULATOR_WRITE_API) is postbox or import, not ${writeApi}`);
  }
  const duration = (v: string | undefined) => (v === undefined ? undefined : parseDuration(v));
  return {
    help: values.help,
    json: values.json,
    port,
    host: values.host,
    dataDir: resolve(values.data ?? DEFAULT_DATA_DIR),
    memory: values.memory,
    autoApprove: values["auto-approve"],
    devContract: values["dev-contract"] && !values.memory,
    redirectUri: values["redirect-uri"],
    writeApi: writeApi as WriteApi | undefined,
    clockStart: values.clock === undefined ? undefined : parseClockStart(values.clock),
    contractsFile: values.contracts && resolve(values.contracts),
    accessTokenTtlMs: duration(values["access-token-ttl"]),
    refreshTokenTtlMs: duration(values["refresh-token-ttl"]),
    timestampWindowMs: duration(values["timestamp-window"]),
    publicUrl: values["public-url"],
    keySetFormat: format,
    faultSeed: seed,
  };
}

/** Starts the emulator as the command line asks and prints its URLs; resolves to it (or undefined for `--help`). */
export async function runCli(
  argv: string[],
  log: (line: string) => void = (line) => console.log(line),
): Promise<RunningEmulator | undefined> {
  const cli = parseCliArgs(argv);
  if (cli.help) {
    log(HELP);
    return undefined;
  }
  const emulator = await startEmulator({
    port: cli.port,
    host: cli.host,
    ...(cli.memory ? { memory: true } : { dataDir: cli.dataDir }),
    autoApprove: cli.autoApprove,
    devContract: cli.devContract && {
      ...(cli.redirectUri && { redirectUri: cli.redirectUri }),
      ...(cli.writeApi && { writeApi: cli.writeApi }),
    },
    ...(cli.clockStart !== undefined && { now: clockFrom(cli.clockStart) }),
    contractsFile: cli.contractsFile,
    accessTokenTtlMs: cli.accessTokenTtlMs,
    refreshTokenTtlMs: cli.refreshTokenTtlMs,
    timestampWindowMs: cli.timestampWindowMs,
    publicUrl: cli.publicUrl,
    keySetFormat: cli.keySetFormat,
    faultSeed: cli.faultSeed,
  });
  const dev = emulator.devContract;
  if (cli.json) {
    log(
      JSON.stringify({
        url: emulator.url,
        baseUrl: emulator.baseUrl,
        onboardUrl: emulator.onboardUrl,
        keySetUrl: emulator.keySetUrl,
        libraryUrl: emulator.libraryUrl,
        adminUrl: emulator.adminUrl,
        dataDir: cli.memory ? null : cli.dataDir,
        autoApprove: cli.autoApprove,
        devContract: dev && {
          applicationId: dev.contract.applicationId,
          contractId: dev.contract.contractId,
          redirectUri: dev.contract.redirectUri,
          writeApi: dev.contract.writeApi ?? "postbox",
          privateKeyPath: dev.privateKeyPath,
        },
      }),
    );
    return emulator;
  }
  const lines = [
    `digi.me emulator listening on ${emulator.url}`,
    `  baseUrl      ${emulator.baseUrl}`,
    `  onboardUrl   ${emulator.onboardUrl}`,
    `  key set      ${emulator.keySetUrl}`,
    `  library      ${emulator.libraryUrl}`,
    `  admin        ${emulator.adminUrl}/stats  (faults, settings, contracts, expire-tokens)`,
    `  data         ${cli.memory ? "in memory (nothing kept)" : cli.dataDir}`,
    `  auto-approve ${cli.autoApprove ? "on" : "off"}`,
  ];
  if (dev) {
    lines.push(
      `  dev contract applicationId=${dev.contract.applicationId} contractId=${dev.contract.contractId}${dev.created ? " (new)" : ""}`,
      `               redirectUri=${dev.contract.redirectUri} writeApi=${dev.contract.writeApi ?? "postbox"}`,
      `               privateKey=${dev.privateKeyPath}`,
    );
  }
  for (const line of lines) log(line);
  return emulator;
}

const isMain = (() => {
  try {
    return (
      process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href
    );
  } catch {
    return false;
  }
})();

if (isMain) {
  runCli(process.argv.slice(2)).then(
    (emulator) => {
      if (!emulator) return;
      const stop = () => {
        emulator.close().then(() => process.exit(0));
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    },
    (error: unknown) => {
      console.error(`digime-emulator: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
