/**
 * What both Deno scripts (main.ts, push-data.ts) start from: the runtime, the settings read from the
 * environment (../shared/settings.ts; the defaults are the emulator's dev contract) and the file
 * to send (the first argument, else the README).
 */
import { type ExampleRuntime, exampleSettings, fileArgument } from "../shared/settings.ts";

/** Deno and its version, named in the files' tags and the receipt. */
export const runtime: ExampleRuntime = { name: "deno", version: `deno ${Deno.version.deno}` };

/** The contract and sdk-core's configuration. */
export const settings = await exampleSettings(
  (name) => Deno.env.get(name),
  (file) => Deno.readTextFile(file),
);

/** The path of the file to send. */
export const path = fileArgument(Deno.args, new URL(".", import.meta.url));
