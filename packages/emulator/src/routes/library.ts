import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { Hono } from "hono";
import { html } from "hono/html";
import { accountJson, PROVIDERS } from "../accounts.ts";
import { type AppEnv, type EmulatorContext, originOf, PATHS } from "../context.ts";
import { ApiError } from "../errors.ts";
import { injectFaults } from "../faults.ts";
import { page } from "../html.ts";
import { countRequests } from "../stats.ts";
import type { LibraryFile } from "../store.ts";

/** A library file as the JSON API lists it: the stored record, with a download URL for its path. */
export interface LibraryFileJson extends Omit<LibraryFile, "path"> {
  /** Where to download the decrypted bytes. */
  url: string;
}

const notFound = (what: string) => new ApiError(404, "NotFound", `${what} does not exist`);

const fileUrl = (origin: string, f: Pick<LibraryFile, "userId" | "id">) =>
  `${origin}${PATHS.library}/api/users/${encodeURIComponent(f.userId)}/files/${encodeURIComponent(f.id)}`;

const toJson = (origin: string, { path: _path, ...file }: LibraryFile): LibraryFileJson => ({
  ...file,
  url: fileUrl(origin, file),
});

const limitOf = (value: string | undefined): number | undefined => {
  const n = value === undefined ? Number.NaN : Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
};

const describe = (file: LibraryFile): string => {
  if (file.source === "fhir") {
    const m = file.metadata as { version?: unknown; resourceType?: unknown };
    return `FHIR ${String(m.version)} ${String(m.resourceType)} · account: ${file.accountId}`;
  }
  const m = file.metadata as { tags?: unknown; accounts?: unknown; reference?: unknown };
  const list = (v: unknown, pick: (x: never) => unknown = (x) => x) =>
    Array.isArray(v) ? v.map((x) => String(pick(x as never))).join(", ") : "";
  return [
    m.tags && `tags: ${list(m.tags)}`,
    m.accounts && `accounts: ${list(m.accounts, (a: { accountId?: unknown }) => a?.accountId)}`,
    m.reference && `reference: ${list(m.reference)}`,
  ]
    .filter(Boolean)
    .join(" · ");
};

const sourceOf = (value: string | undefined): LibraryFile["source"] | undefined => {
  if (value === undefined || value === "") return undefined;
  if (value in SOURCE_LABELS) return value as LibraryFile["source"];
  throw new ApiError(400, "InvalidRequest", "source is postbox, import or fhir");
};

const SOURCE_LABELS: Record<LibraryFile["source"], string> = {
  postbox: "postbox write",
  import: "import",
  fhir: "FHIR push",
};

const contentDisposition = (name: string) =>
  `attachment; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, "_")}"; filename*=UTF-8''${encodeURIComponent(name)}`;

/**
 * The library, for people and tests, under `/library`:
 * - `GET /library`: an HTML view of users, postboxes, accounts and files (`?user=` for one user);
 * - `GET /library/api/users`: users with their postboxes, accounts and file counts;
 * - `GET /library/api/users/:userId/files`: a user's files (postbox writes, imports, FHIR pushes:
 *   `source`) with metadata, size, sha256, createdAt;
 * - `GET /library/api/users/:userId/files/:fileId`: the bytes (decrypted, for a postbox write);
 * - `GET /library/api/files?postboxId=&userId=&source=&limit=`: files across users, newest first;
 * - `GET /library/api/postboxes/:postboxId`: a postbox, its user and its files.
 */
export const libraryRoutes = (ctx: EmulatorContext) => {
  const { store } = ctx;
  const usersJson = () =>
    store.listUsers().map((u) => ({
      id: u.id,
      createdAt: u.createdAt,
      postboxes: store
        .listPostboxes(u.id)
        .map((p) => ({ id: p.id, clientId: p.clientId, createdAt: p.createdAt })),
      accounts: ctx.accounts.list(u.id).map(accountJson),
      fileCount: store.countFiles({ userId: u.id }),
    }));

  return new Hono<AppEnv>()
    .use(countRequests({ stats: ctx.stats, route: "library" }))
    .use(injectFaults({ faults: ctx.faults, stats: ctx.stats, route: "library" }))
    .get("/api/users", (c) => c.json({ users: usersJson() }))
    .get("/api/users/:userId/files", (c) => {
      const userId = c.req.param("userId");
      if (!store.getUser(userId)) throw notFound(`The user (${userId})`);
      const origin = originOf(ctx.settings, c.req.url);
      return c.json({ userId, files: store.listFiles({ userId }).map((f) => toJson(origin, f)) });
    })
    .get("/api/users/:userId/files/:fileId", (c) => {
      const file = store.getFile(c.req.param("fileId"));
      if (!file || file.userId !== c.req.param("userId"))
        throw notFound(`The file (${c.req.param("fileId")})`);
      const body = Readable.toWeb(createReadStream(store.absolutePath(file))) as ReadableStream;
      return new Response(body, {
        headers: {
          "Content-Type": file.mimeType,
          "Content-Length": String(file.size),
          "Content-Disposition": contentDisposition(file.fileName),
          ETag: `"${file.sha256}"`,
          "X-Content-SHA256": file.sha256,
        },
      });
    })
    .get("/api/files", (c) => {
      const { postboxId, userId, limit, source } = c.req.query();
      const origin = originOf(ctx.settings, c.req.url);
      const files = store.listFiles({ postboxId, userId, source: sourceOf(source), limit: limitOf(limit) });
      return c.json({ files: files.map((f) => toJson(origin, f)) });
    })
    .get("/api/postboxes/:postboxId", (c) => {
      const postbox = store.getPostbox(c.req.param("postboxId"));
      if (!postbox) throw notFound(`The postbox (${c.req.param("postboxId")})`);
      const origin = originOf(ctx.settings, c.req.url);
      const { privateKey: _secret, ...visible } = postbox;
      return c.json({
        postbox: visible,
        files: store.listFiles({ postboxId: postbox.id }).map((f) => toJson(origin, f)),
      });
    })
    .get("/", (c) => {
      const only = c.req.query("user");
      const users = store.listUsers().filter((u) => !only || u.id === only);
      const origin = originOf(ctx.settings, c.req.url);
      const body = html`<h1>Library</h1>
        <p class="muted">${users.length} user(s), ${store.countFiles()} file(s) in all.
          JSON: <a href="${PATHS.library}/api/users">${PATHS.library}/api/users</a></p>
        ${users.map((u) => {
          const files = store.listFiles({ userId: u.id });
          const postboxes = store.listPostboxes(u.id);
          const accounts = ctx.accounts.list(u.id);
          return html`<div class="card">
            <h2>User <code>${u.id}</code></h2>
            ${postboxes.length ? html`<p class="muted">Postboxes: ${postboxes.map((p, i) => html`${i ? ", " : ""}<code>${p.id}</code> (${p.clientId})`)}</p>` : ""}
            ${accounts.length ? html`<p class="muted">Accounts: ${accounts.map((a, i) => html`${i ? ", " : ""}<code>${a.id}</code> ${PROVIDERS[a.provider].type} ${PROVIDERS[a.provider].serviceProviderName} (${a.clientId})`)}</p>` : ""}
            ${
              files.length === 0
                ? html`<p class="muted">No files yet.</p>`
                : html`<div class="table"><table>
                    <thead><tr><th>File</th><th>Source</th><th>Type</th><th>Size</th><th>Written (UTC)</th><th>Metadata</th><th>SHA-256</th></tr></thead>
                    <tbody>${files.map(
                      (f) => html`<tr>
                        <td class="name"><a href="${fileUrl(origin, f)}">${f.fileName}</a></td>
                        <td class="nowrap">${SOURCE_LABELS[f.source]}</td>
                        <td class="type">${f.mimeType}</td>
                        <td class="nowrap">${f.size.toLocaleString("en")} B</td>
                        <td class="nowrap">${new Date(f.createdAt).toISOString().replace("T", " ").slice(0, 19)}</td>
                        <td class="meta">${describe(f)}</td>
                        <td class="nowrap"><code title="${f.sha256}">${f.sha256.slice(0, 16)}…</code></td>
                      </tr>`,
                    )}</tbody>
                  </table></div>`
            }
          </div>`;
        })}`;
      return c.html(page("Library", body));
    });
};
