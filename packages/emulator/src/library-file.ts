/** How a file came into the library. */
export type FileSource = "postbox" | "import" | "fhir";

/** A file in a user's library. Its decrypted bytes are at `path`, relative to `Store.filesDir`. */
export interface LibraryFile {
  id: string;
  userId: string;
  /** The postbox it was written to; null for an import or a FHIR push. */
  postboxId: string | null;
  clientId: string;
  /** `postbox` (sealed write), `import` (`permission-access/import`) or `fhir` (a provider push). */
  source: FileSource;
  /** For a FHIR push: the PUSH account it went to. */
  accountId: string | null;
  fileName: string;
  mimeType: string;
  /** The `fileDescriptor` the app sent (for FHIR: `{ standard, version, accountId, resourceType }`). */
  metadata: unknown;
  size: number;
  /** Lowercase hex SHA-256 of the decrypted bytes. */
  sha256: string;
  createdAt: number;
  path: string;
}

const orNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

const SOURCES: readonly FileSource[] = ["postbox", "import", "fhir"];

/** The file of a `files` row (the table of `Store`'s library methods). */
export const toFile = (r: Record<string, unknown>): LibraryFile => ({
  id: String(r.id),
  userId: String(r.user_id),
  // Imports and FHIR pushes have no postbox: the column (NOT NULL since v1) holds "".
  postboxId: String(r.postbox_id) || null,
  clientId: String(r.client_id),
  source: SOURCES.find((x) => x === r.source) ?? "postbox",
  accountId: orNull(r.account_id),
  fileName: String(r.file_name),
  mimeType: String(r.mime_type),
  metadata: JSON.parse(String(r.metadata)),
  size: Number(r.size),
  sha256: String(r.sha256),
  createdAt: Number(r.created_at),
  path: String(r.path),
});
