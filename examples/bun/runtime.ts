/**
 * What both Bun scripts (index.ts, push-data.ts) start from: the runtime, the settings read from the
 * environment (../shared/settings.ts; the defaults are the emulator's dev contract) and the file
 * to send (the first argument, else the README).
 */
import { type ExampleRuntime, exampleSettings, fileArgument } from "../shared/settings.ts";

/** Bun and its version, named in the files' tags and the receipt. */
export const runtime: ExampleRuntime = { name: "bun", version: `bun ${Bun.version}` };

/** The contract and sdk-core's configuration. */
export const settings = await exampleSettings(
  (name) => Bun.env[name],
  (file) => Bun.file(file).text(),
);

/** The path of the file to send. */
export const path = fileArgument(Bun.argv.slice(2), new URL(".", import.meta.url));
