import { type EmulatorContext, originOf, PATHS } from "./context.ts";
import { signPs512 } from "./jwt.ts";

/**
 * Signs an answer token as digi.me does: PS512 with the emulator's key, header `kid` and `jku`
 * (the absolute URL of the key set, on the origin the request came to).
 */
export const responseToken = (ctx: EmulatorContext, requestUrl: string, payload: Record<string, unknown>) =>
  signPs512(payload, ctx.signingKey.privateKey, {
    kid: ctx.signingKey.kid,
    jku: `${originOf(ctx.settings, requestUrl)}${PATHS.keySet}`,
  });
