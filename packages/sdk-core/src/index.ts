/** @packageDocumentation digi.me write path on WebCrypto, fetch and web streams. */
export const SDK_NAME = "@digime-edge/sdk-core";
