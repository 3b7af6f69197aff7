import { z } from "zod";
import { ApiError, validationErrors } from "./errors.ts";
import { decodePs512, verifyPs512 } from "./jwt.ts";
import { describeIssues, publicKeyOf } from "./middleware/request-jwt.ts";
import type { Contract } from "./store.ts";

/** The app's `fileDescriptor` (the postbox write's decrypted `metadata`, the import's `FileDescriptor`). */
export const fileDescriptorSchema = z.looseObject({
  mimeType: z.string().min(1),
  accounts: z.array(z.looseObject({ accountId: z.string() })),
  reference: z.array(z.string()).optional(),
  tags: z.array(z.string()).optional(),
});

/** A checked `fileDescriptor`. */
export type FileDescriptor = z.infer<typeof fileDescriptorSchema>;

/**
 * Checks the `FileDescriptor` header of `POST permission-access/import`: a compact JWS, PS512 with
 * the contract's key, payload exactly `{ metadata }` where `metadata` is a `fileDescriptor`.
 * @throws 406 `ValidationErrors` when it is missing or malformed; 401 `InvalidSignature` when it
 * does not verify with the contract's public key.
 */
export function readFileDescriptor(header: string | undefined, contract: Contract): FileDescriptor {
  if (!header) throw validationErrors("The FileDescriptor header is missing");
  const jwt = decodePs512(header.trim(), "FileDescriptor", validationErrors);
  if (!verifyPs512(jwt, publicKeyOf(contract.publicKey))) {
    throw new ApiError(
      401,
      "InvalidSignature",
      "The FileDescriptor does not verify with the contract's public key",
    );
  }
  const keys = Object.keys(jwt.payload);
  if (keys.length !== 1 || keys[0] !== "metadata") {
    throw validationErrors(
      `FileDescriptor: the payload must be exactly { metadata }, not { ${keys.join(", ")} }`,
    );
  }
  const parsed = fileDescriptorSchema.safeParse(jwt.payload.metadata);
  if (!parsed.success) {
    throw validationErrors(
      `FileDescriptor: metadata is not a fileDescriptor: ${describeIssues(parsed.error)}`,
    );
  }
  return parsed.data;
}
