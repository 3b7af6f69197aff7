/**
 * A staging bucket that fails on cue: wraps the real `TUS_STAGING` so that chosen R2 calls throw
 * (or, for `uploadPart` and `complete`, take effect and then throw, as when R2's answer is lost;
 * for `get`, return an object whose body fails after its first chunk). Given to the Worker as a
 * binding override (`CallInit.env`); the user's vault keeps the real bucket, unless
 * {@link failingVaultBucket} makes that one fail too.
 */
import { expect } from "vitest";
import { errorOf } from "./answers.ts";
import { staging } from "./tus-requests.ts";

/** Expects the response R2's failure gives: 503 `STAGING_UNAVAILABLE`, to retry shortly. */
export async function expectStagingUnavailable(response: Response): Promise<void> {
  const error = await errorOf(response);
  expect(error, JSON.stringify(error)).toMatchObject({
    status: 503,
    code: "STAGING_UNAVAILABLE",
    retryAfter: "5",
  });
}

/** An R2 call that can be made to fail. */
export type R2Call = "put" | "get" | "head" | "delete" | "createMultipartUpload" | "uploadPart" | "complete";

/** How a call fails: `throw` before it happens, `made` after it took effect, `midway` (get) in its body. */
export type R2Failure = "throw" | "made" | "midway";

interface Rule {
  skip: number;
  times: number;
  how: R2Failure;
}

/** The bucket, and the switches that make its calls fail. */
export function failingBucket(bucket: R2Bucket = staging) {
  const rules = new Map<R2Call, Rule>();
  const failed: R2Call[] = [];
  const created: { key: string; uploadId: string }[] = [];
  /** The rule that fails this call of `call`, if one does. */
  const due = (call: R2Call): Rule | undefined => {
    const rule = rules.get(call);
    if (!rule || rule.times === 0) return undefined;
    if (rule.skip > 0) {
      rule.skip -= 1;
      return undefined;
    }
    rule.times -= 1;
    failed.push(call);
    return rule;
  };
  const boom = (call: R2Call) => new Error(`R2 ${call} failed (test)`);
  const wrapped = {
    put: async (...args: Parameters<R2Bucket["put"]>) => {
      if (due("put")) throw boom("put");
      return bucket.put(...args);
    },
    get: async (key: string, options?: R2GetOptions) => {
      const rule = due("get");
      if (rule && rule.how !== "midway") throw boom("get");
      const object = await bucket.get(key, options);
      if (!rule || !object) return object;
      const reader = object.body.getReader();
      let first = true;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (!first) return controller.error(boom("get"));
          first = false;
          const { done, value } = await reader.read();
          if (done) controller.error(boom("get"));
          else controller.enqueue(value);
        },
      });
      return {
        body,
        arrayBuffer: () => Promise.reject(boom("get")),
      } as unknown as R2ObjectBody;
    },
    head: async (key: string) => {
      if (due("head")) throw boom("head");
      return bucket.head(key);
    },
    delete: async (keys: string | string[]) => {
      if (due("delete")) throw boom("delete");
      return bucket.delete(keys);
    },
    list: (options?: R2ListOptions) => bucket.list(options),
    createMultipartUpload: async (key: string, options?: R2MultipartOptions) => {
      if (due("createMultipartUpload")) throw boom("createMultipartUpload");
      const multipart = await bucket.createMultipartUpload(key, options);
      created.push({ key, uploadId: multipart.uploadId });
      return multipart;
    },
    resumeMultipartUpload(key: string, uploadId: string) {
      const multipart = bucket.resumeMultipartUpload(key, uploadId);
      return {
        key,
        uploadId,
        uploadPart: async (n: number, body: Uint8Array) => {
          const rule = due("uploadPart");
          if (rule?.how === "made") await multipart.uploadPart(n, body);
          if (rule) throw boom("uploadPart");
          return multipart.uploadPart(n, body);
        },
        complete: async (parts: R2UploadedPart[]) => {
          const rule = due("complete");
          if (rule?.how === "made") await multipart.complete(parts);
          if (rule) throw boom("complete");
          return multipart.complete(parts);
        },
        abort: () => multipart.abort(),
      };
    },
  };
  return {
    /** The bucket to hand the Worker. */
    bucket: wrapped as unknown as R2Bucket,
    /** The bindings override for `CallInit.env`. */
    env: { TUS_STAGING: wrapped as unknown as R2Bucket },
    /**
     * Fails `call` `times` times (default once) after letting `skip` calls through.
     *
     * @param call - The R2 call.
     * @param options - How, how often, after how many good calls.
     */
    fail(call: R2Call, options: { how?: R2Failure; times?: number; skip?: number } = {}) {
      rules.set(call, { how: options.how ?? "throw", times: options.times ?? 1, skip: options.skip ?? 0 });
    },
    /** Every call that was failed, in order. */
    failed,
    /** Every multipart upload this bucket started. */
    created,
  };
}

/** The calls {@link failingVaultBucket} swaps on the shared binding. */
const BUCKET_METHODS = [
  "put",
  "get",
  "head",
  "delete",
  "list",
  "createMultipartUpload",
  "resumeMultipartUpload",
];

/**
 * Makes the test's `TUS_STAGING` binding itself fail on cue, the object the user's vault (a
 * Durable Object of this isolate) holds too: R2 failing inside the vault, as when an upload is
 * created. Call `restore` (in a `finally`) to give the binding its own calls back.
 */
export function failingVaultBucket() {
  const own = staging as unknown as Record<string, unknown>;
  const real = Object.fromEntries(
    BUCKET_METHODS.map((name) => [name, (own[name] as (...a: unknown[]) => unknown).bind(staging)]),
  );
  const faults = failingBucket(real as unknown as R2Bucket);
  const wrapped = faults.bucket as unknown as Record<string, unknown>;
  for (const name of BUCKET_METHODS) own[name] = wrapped[name];
  return {
    ...faults,
    /** Gives the binding its own calls back. */
    restore() {
      for (const name of BUCKET_METHODS) delete own[name];
    },
  };
}
