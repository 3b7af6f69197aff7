/**
 * What both Node scripts (index.ts, push-data.ts) start from: the runtime, the settings read from the
 * environment (../shared/settings.ts; the defaults are the emulator's dev contract) and the file
 * to send (the first argument, else the README).
 */
import { readFile } from "node:fs/promises";
import { type ExampleRuntime, exampleSettings, fileArgument } from "../shared/settings.ts";

/** Node and its version, named in the files' tags and the receipt. */
export const runtime: ExampleRuntime = { name: "node", version: `node ${process.version}` };

/** The contract and sdk-core's configuration. */
export const settings = await exampleSettings(
  (name) => process.env[name],
  (file) => readFile(file, "utf8"),
);

/** The path of the file to send. */
export const path = fileArgument(process.argv.slice(2), new URL(".", import.meta.url));
