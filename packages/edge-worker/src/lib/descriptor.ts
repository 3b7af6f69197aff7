import * as z from "zod/mini";
import { MEDIA_TYPE } from "./media-type.ts";

/** Largest `fileDescriptor` (the multipart part, or the raw upload's header once decoded), in bytes. */
export const MAX_DESCRIPTOR_BYTES = 16 * 1024;

const label = z.string().check(z.minLength(1), z.maxLength(256));
const LIST = "must be a list of strings";

/** The `fileDescriptor` part as a browser may send it: every field optional. */
export const descriptorInputSchema = z.strictObject({
  mimeType: z.optional(
    z.string().check(z.regex(MEDIA_TYPE, { error: "must be a media type such as text/plain" })),
  ),
  accounts: z.optional(
    z
      .array(z.strictObject({ accountId: label }), { error: "must be a list of { accountId }" })
      .check(z.minLength(1), z.maxLength(16)),
  ),
  tags: z.optional(z.array(label, { error: LIST }).check(z.maxLength(64))),
  reference: z.optional(z.array(label, { error: LIST }).check(z.maxLength(64))),
});

/** The `fileDescriptor` part as a browser may send it. */
export type DescriptorInput = z.infer<typeof descriptorInputSchema>;

/**
 * Parses a `fileDescriptor` part.
 *
 * @param text - The part's body (JSON).
 * @returns The descriptor, or a message naming what is wrong (never echoing values).
 */
export function parseDescriptor(
  text: string,
): { ok: true; value: DescriptorInput } | { ok: false; message: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, message: "fileDescriptor is not valid JSON" };
  }
  const result = descriptorInputSchema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  const problems = result.error.issues.map((issue) =>
    issue.code === "unrecognized_keys"
      ? `unknown field(s) ${issue.keys.join(", ")}`
      : `${issue.path.join(".") || "fileDescriptor"} ${issue.message.startsWith("must") ? issue.message : "is malformed"}`,
  );
  return { ok: false, message: `fileDescriptor: ${problems.join("; ")}` };
}
