/** Test access to a user's vault (the Durable Object's storage and stubs). */
import { runInDurableObject } from "cloudflare:test";
import { vaultFor } from "../../src/lib/session.ts";
import { testEnv } from "./test-env.ts";

/** The stored token pair of a user's vault (test access to the Durable Object). */
export async function storedTokens(userId: string) {
  return runInDurableObject(vaultFor(testEnv, userId), (_instance, state) => {
    const row = state.storage.sql
      .exec<{ access_token: string; access_expiry: number; refresh_token: string; refresh_expiry: number }>(
        "SELECT access_token, access_expiry, refresh_token, refresh_expiry FROM tokens WHERE id = 1",
      )
      .toArray()[0];
    return row ?? null;
  });
}

/** The postbox id a user's vault holds. */
export async function postboxOf(userId: string): Promise<string> {
  return runInDurableObject(vaultFor(testEnv, userId), (_i, state) => {
    const row = state.storage.sql.exec<{ postbox_id: string }>("SELECT postbox_id FROM tokens").toArray()[0];
    return row?.postbox_id as string;
  });
}

/** Makes the vault's stored access token look expired (as if time had passed). */
export async function expireStoredAccessToken(userId: string): Promise<void> {
  await runInDurableObject(vaultFor(testEnv, userId), (_i, state) => {
    state.storage.sql.exec("UPDATE tokens SET access_expiry = ?", Date.now() - 1000);
  });
}

/** A `USER_VAULT` whose stubs record every call's arguments and answer. */
export function recordingVaults(crossed: { method: string; args: unknown[]; answer: unknown }[]) {
  return {
    idFromName: (name: string) => testEnv.USER_VAULT.idFromName(name),
    get(id: DurableObjectId) {
      const stub = testEnv.USER_VAULT.get(id);
      return new Proxy(stub, {
        get(target, prop) {
          const value = Reflect.get(target, prop);
          if (typeof prop !== "string" || typeof value !== "function") return value;
          // Called on the stub itself: an RPC method's own `apply` would be a remote call.
          const call = target as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
          return async (...args: unknown[]) => {
            const answer = await call[prop]?.(...args);
            crossed.push({ method: prop, args, answer });
            return answer;
          };
        },
      });
    },
  };
}
