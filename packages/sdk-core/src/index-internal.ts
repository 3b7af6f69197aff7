/**
 * @packageDocumentation `@digime-edge/sdk-core/internal`: not for applications. Unstable: any
 * release may change or remove what it exports. It holds hooks for known-answer tests, and the
 * checks and codecs that this repository's edge Worker shares with sdk-core (so that the Worker
 * refuses exactly what sdk-core would, with one copy of each check).
 */
export { type CbcChain, cbcEncryptFrom } from "./crypto/cbc-from.ts";
export {
  type CreateEnvelopeWithKeyMaterialOptions,
  createEnvelopeWithKeyMaterial,
} from "./crypto/envelope.ts";
export {
  base64ByteLength,
  decodeBase64,
  decodeBase64Url,
  encodeBase64,
  encodeBase64Url,
} from "./internal/base64.ts";
export { concatBytes } from "./internal/bytes.ts";
export { isAccountId, isIvHex } from "./internal/fields.ts";
export { pipeNatively } from "./internal/native-pipe.ts";
