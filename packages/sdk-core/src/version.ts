/** The SDK's name and version, as it introduces itself to digi.me (`agent.sdk`). */

/** The package name, sent as `agent.sdk.name`. */
export const SDK_NAME = "@digime-edge/sdk-core";

/** The package version, sent as `agent.sdk.version` (a test keeps it equal to package.json's). */
export const SDK_VERSION = "0.1.0";
