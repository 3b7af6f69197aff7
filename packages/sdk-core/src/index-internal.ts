/**
 * @packageDocumentation `@digime-edge/sdk-core/internal`: hooks for known-answer tests, not for
 * applications. Unstable: any release may change or remove them.
 */
export { cbcEncryptFrom } from "./crypto/cbc-from.ts";
export {
  type CreateEnvelopeWithKeyMaterialOptions,
  createEnvelopeWithKeyMaterial,
} from "./crypto/envelope.ts";
