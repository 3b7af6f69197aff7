import { type FileSource, type LibraryFile, toFile } from "./library-file.ts";
import { equalities, num, type Sql } from "./sql.ts";

/** Which files {@link FileStore.list} returns; no field means all. */
export interface FileFilter {
  userId?: string;
  postboxId?: string;
  source?: FileSource;
  limit?: number;
}

/** The `files` table: the records of the library (the bytes are files under `Store.filesDir`). */
export class FileStore {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** Records a file whose decrypted bytes are already at `file.path` (relative to `filesDir`). */
  insert(file: LibraryFile): LibraryFile {
    this.#sql.run(
      `INSERT INTO files (id, user_id, postbox_id, client_id, source, account_id, file_name, mime_type, metadata, size, sha256, path, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      file.id,
      file.userId,
      file.postboxId ?? "",
      file.clientId,
      file.source,
      file.accountId,
      file.fileName,
      file.mimeType,
      JSON.stringify(file.metadata),
      file.size,
      file.sha256,
      file.path,
      file.createdAt,
    );
    return file;
  }

  /** One file by id. */
  get(id: string): LibraryFile | undefined {
    const row = this.#sql.get("SELECT * FROM files WHERE id = ?", id);
    return row && toFile(row);
  }

  /** Files, newest first, of one user and/or one postbox and/or one source, or all. */
  list(filter: FileFilter = {}): LibraryFile[] {
    const { clauses, params } = equalities({
      source: filter.source,
      user_id: filter.userId,
      postbox_id: filter.postboxId,
    });
    const where = clauses.length ? `WHERE ${clauses.join(" AND ")}` : "";
    params.push(filter.limit ?? -1);
    return this.#sql
      .all(`SELECT * FROM files ${where} ORDER BY created_at DESC, rowid DESC LIMIT ?`, ...params)
      .map(toFile);
  }

  /** Number of stored files, of one user or of all. */
  count(filter: { userId?: string } = {}): number {
    const row = filter.userId
      ? this.#sql.get("SELECT count(*) AS n FROM files WHERE user_id = ?", filter.userId)
      : this.#sql.get("SELECT count(*) AS n FROM files");
    return num(row?.n ?? 0);
  }
}
